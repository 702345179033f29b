import Foundation

/// The content of a lock object: the runs that hold leases on parts of a store (backup, prune) or of a
/// target cluster (restore), each lease naming what it claims. Runs whose claims overlap never hold
/// leases at once; runs on disjoint data (the shards of one job, restores of other topics) do. The
/// table is changed only by conditional writes (`If-None-Match` to create, `If-Match` to replace),
/// so two hosts can never both add a lease from the same version.
public struct LeaseTable: Codable, Equatable, Sendable {
    public static let formatName = "ktape-leases"
    public static let currentVersion = 1

    public var format: String = LeaseTable.formatName
    public var version: Int = LeaseTable.currentVersion
    public var leases: [Lease]

    public init(leases: [Lease] = []) { self.leases = leases }

    /// One run's hold on what it claims, until `expiresAt` unless renewed.
    public struct Lease: Codable, Equatable, Sendable {
        /// The run's own id (a backup run id, or a random id for restore and prune): tells a run its own lease.
        public var runId: String
        /// `backup`, `restore` or `prune`, for the line a refused run prints.
        public var command: String
        /// The job's name, when the run has one.
        public var job: String?
        /// Free text such as `host pid 42`, for people and for finding killed runs on the same host.
        public var holder: String
        /// Members of one consumer group share their claims: the group gives each partition one owner.
        public var group: String?
        public var claims: [Claim]
        public var acquiredAt: Date
        public var expiresAt: Date

        public init(
            runId: String, command: String, job: String?, holder: String, group: String? = nil, claims: [Claim],
            acquiredAt: Date, expiresAt: Date
        ) {
            self.runId = runId
            self.command = command
            self.job = job
            self.holder = holder
            self.group = group
            self.claims = claims
            self.acquiredAt = acquiredAt
            self.expiresAt = expiresAt
        }

        public func isExpired(at now: Date) -> Bool { now >= expiresAt }

        /// The first claim of `other` that overlaps one of this lease's, if any; leases of one group never conflict.
        public func conflict(with other: Lease) -> Claim? {
            if let group, group == other.group { return nil }
            for mine in claims {
                if let theirs = other.claims.first(where: mine.overlaps) { return theirs }
            }
            return nil
        }

        /// `backup of job nightly by host-a pid 42 (run …, until …)`.
        public var summary: String {
            let what = job.map { "\(command) of job \($0)" } ?? command
            return "\(what) by \(holder) (run \(runId))"
        }
    }

    /// A topic, or some of its partitions.
    public struct Claim: Codable, Equatable, Sendable, CustomStringConvertible {
        public var topic: String
        /// Sorted partition numbers; nil claims the whole topic, partitions added later included.
        public var partitions: [Int32]?

        public init(topic: String, partitions: [Int32]? = nil) {
            self.topic = topic
            self.partitions = partitions?.sorted()
        }

        public func overlaps(_ other: Claim) -> Bool {
            guard topic == other.topic else { return false }
            guard let mine = partitions, let theirs = other.partitions else { return true }
            return !Set(mine).isDisjoint(with: theirs)
        }

        public var description: String {
            guard let partitions else { return "topic \(topic)" }
            return "topic \(topic) partitions \(partitions.map(String.init).joined(separator: ","))"
        }

        /// Claims for exactly these partitions, one per topic.
        public static func partitions(_ partitions: [TopicPartition]) -> [Claim] {
            Dictionary(grouping: partitions, by: \.topic).keys.sorted().map { topic in
                Claim(topic: topic, partitions: partitions.filter { $0.topic == topic }.map(\.partition))
            }
        }
    }

    public func lease(runId: String) -> Lease? { leases.first { $0.runId == runId } }

    /// Deterministic JSON, as manifests.
    public func encoded() throws -> Data { try LayoutJSON.encodeDocument(self) }

    /// Reads a table, refusing another format or a newer version; `name` (its key) is used in errors.
    public static func decode(_ data: Data, name: String) throws -> LeaseTable {
        try LayoutJSON.decode(LeaseTable.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}
