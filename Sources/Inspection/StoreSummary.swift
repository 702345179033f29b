import Foundation
import Layout
import ObjectStore
import TimeText

/// What `ls` reports: one document, the same for the table and `--json` (field names are stable,
/// documented in docs/verify.md). Offsets and record counts come from manifests; for a store
/// without them (a Confluent sink's bucket) from the listing, where record counts and end offsets
/// are unknown (nil).
public struct StoreSummary: Codable, Equatable, Sendable {
    /// Where the offsets and counts come from.
    public enum Source: String, Codable, Sendable {
        /// ktape run manifests.
        case manifests
        /// Only the object listing (no manifests).
        case listing
        /// Nothing ktape or Confluent wrote was found.
        case empty
    }

    public struct Totals: Codable, Equatable, Sendable {
        public var topics: Int
        public var partitions: Int
        public var objects: Int
        public var bytes: Int64
        /// Nil when the store has no manifests.
        public var records: Int64?

        public init(topics: Int, partitions: Int, objects: Int, bytes: Int64, records: Int64?) {
            self.topics = topics
            self.partitions = partitions
            self.objects = objects
            self.bytes = bytes
            self.records = records
        }
    }

    public struct Gap: Codable, Equatable, Sendable {
        public var start: Int64
        public var end: Int64
        /// `retention` (records lost before a run read them) or `noRecords`.
        public var reason: String

        public init(start: Int64, end: Int64, reason: String) {
            self.start = start
            self.end = end
            self.reason = reason
        }
    }

    public struct Partition: Codable, Equatable, Sendable {
        public var partition: Int32
        /// First offset accounted for (from manifests), or the first object's start offset (listing).
        public var startOffset: Int64
        /// One past the last offset accounted for; nil when only the listing is known.
        public var endOffset: Int64?
        /// Offsets between `startOffset` and `endOffset` that no run's manifest covers (a manifest
        /// missing or unreadable); nil when there are none.
        public var unrecordedOffsets: Int64?
        /// Start offset of the newest object (useful when `endOffset` is unknown).
        public var lastObjectStartOffset: Int64?
        public var objects: Int
        public var bytes: Int64
        public var records: Int64?
        /// Gaps the runs recorded.
        public var gaps: [Gap]
        /// Offsets below this were removed by `ktape prune`, last at `prunedAt`; nil when never pruned.
        public var prunedBefore: Int64?
        public var prunedAt: String?
    }

    public struct Topic: Codable, Equatable, Sendable {
        public var name: String
        /// The topic's partition count as the newest run saw it; nil from a listing.
        public var partitionCount: Int32?
        public var partitions: [Partition]
        public var objects: Int
        public var bytes: Int64
        public var records: Int64?
    }

    public struct Run: Codable, Equatable, Sendable {
        public var runId: String
        public var previousRunId: String?
        public var job: String
        public var shard: String
        public var startedAt: String
        public var finishedAt: String
        public var format: String
        public var compression: String
        /// The topics dir the run wrote its objects under (the store's, unless it was run with another).
        public var topicsDir: String
        public var objects: Int
        public var records: Int64
        public var bytes: Int64
        /// A killed run: the run that took its lease over and wrote this placeholder (it stored
        /// nothing, and `finishedAt` is when it was taken over); absent for a finished run.
        public var takenOverBy: String?
    }

    public struct Orphan: Codable, Equatable, Sendable {
        public var key: String
        public var bytes: Int64

        public init(key: String, bytes: Int64) {
            self.key = key
            self.bytes = bytes
        }
    }

    public struct Stray: Codable, Equatable, Sendable {
        public var key: String
        public var reason: String
    }

    /// Objects under the store's prefix but outside the topics dir and the runs folder, listed when
    /// those two hold nothing (a wrong `--topics-dir` or prefix, or objects ktape does not write).
    public struct Elsewhere: Codable, Equatable, Sendable {
        /// Objects found (the first page of the listing only: see `more`).
        public var objects: Int
        /// True when there are more than were listed.
        public var more: Bool
        /// A few of their keys.
        public var examples: [String]
        /// The topics dir under which some of them are data objects, if any.
        public var suggestedTopicsDir: String?
        /// A folder (under the prefix) holding a ktape store's run manifests, if any: the store to
        /// name instead, since its topics dir alone is read without its manifests.
        public var suggestedStoreFolder: String? = nil
    }

    /// Bumped when a field changes meaning or goes away; new fields may appear without a bump.
    public var version: Int = 1
    public var store: String
    public var prefix: String
    public var topicsDir: String
    public var source: Source
    public var totals: Totals
    public var topics: [Topic]
    public var runs: [Run]
    /// Objects under the topics dir that no manifest names.
    public var orphans: [Orphan]
    /// Keys under the topics dir (or the runs folder) that are not in ktape's layout.
    public var strays: [Stray]
    /// Set when the topics dir and the runs folder are empty but the store holds other objects.
    public var elsewhere: Elsewhere?
    /// Set when the store has no manifests but holds ktape's own objects or metadata (named here): a
    /// backup that has not finished, not a Confluent sink's bucket, so what is listed may be partial.
    public var unfinishedBackup: String? = nil
}

extension StoreSummary {
    /// Lists the store and describes it: what `ls` prints.
    public static func load(store: any ObjectStore, layout: StoreLayout) async throws -> StoreSummary {
        let contents = try await StoreContents.load(store: store, layout: layout, sizes: .shown)
        var summary = try StoreSummary(contents)
        if !contents.hasManifests {
            let traces = try await BackupTraces.load(store: store, layout: layout, hasManifests: false)
            summary.unfinishedBackup = traces.unfinishedBackupEvidence(in: contents)
        }
        return summary
    }

    /// Builds the summary of `contents`. Throws `InspectionError.unreadableManifest` for the first
    /// manifest that does not parse: a store it cannot read is not described half-way.
    public init(_ contents: StoreContents) throws {
        if let bad = contents.unreadableManifests.first { throw InspectionError.unreadableManifest(bad) }
        store = contents.location
        prefix = contents.layout.prefix
        topicsDir = contents.layout.topicsDir
        runs = contents.figures.runSummaries
        orphans = contents.orphanKeys.map { Orphan(key: $0, bytes: contents.listed.size(of: $0) ?? 0) }
        strays =
            contents.index.rejected.map { Stray(key: $0.key, reason: $0.reason) }
            + contents.strayRunKeys.map { Stray(key: $0, reason: "not a run manifest name (<run id>.json)") }
        if contents.hasManifests {
            source = .manifests
            topics = contents.figures.topics(pruned: contents.pruned)
        } else if !contents.index.partitions.isEmpty {
            source = .listing
            topics = Self.topicsFromListing(contents)
        } else {
            source = .empty
            topics = []
        }
        if !contents.elsewhere.isEmpty {
            let keys = contents.elsewhere.map(\.key)
            elsewhere = Elsewhere(
                objects: keys.count, more: keys.count >= StoreContents.elsewhereLimit,
                examples: Array(keys.prefix(5)),
                suggestedTopicsDir: keys.lazy.compactMap { contents.layout.topicsDir(suggestedBy: $0) }.first,
                suggestedStoreFolder: keys.lazy.compactMap { contents.layout.storeFolder(suggestedBy: $0) }.first)
        }
        let records: Int64? = source == .manifests ? topics.reduce(0) { $0 + ($1.records ?? 0) } : nil
        totals = Totals(
            topics: topics.count, partitions: topics.reduce(0) { $0 + $1.partitions.count },
            objects: topics.reduce(0) { $0 + $1.objects }, bytes: topics.reduce(0) { $0 + $1.bytes },
            records: records)
    }

    /// The document `ls --json` prints: sorted keys, indented.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A run's own figures: every object it names.
    static func run(_ m: RunManifest) -> Run {
        return Run(
            runId: m.runId.rawValue, previousRunId: m.previousRunId?.rawValue, job: m.job, shard: m.shard,
            startedAt: Timestamps.rfc3339(m.startedAt), finishedAt: Timestamps.rfc3339(m.finishedAt),
            format: m.store.format.rawValue, compression: m.store.compression.rawValue, topicsDir: m.store.topicsDir,
            objects: m.objects.count, records: m.objects.reduce(0) { $0 + $1.recordCount },
            bytes: m.objects.reduce(0) { $0 + $1.byteSize }, takenOverBy: m.takenOverBy?.rawValue)
    }

    private static func topicsFromListing(_ contents: StoreContents) -> [Topic] {
        contents.index.topics.map { name in
            let partitions = contents.index.partitions(of: name).map { p -> Partition in
                let entries = contents.index.entries(topic: name, partition: p)
                let keys = entries.flatMap { [$0.key] + $0.companionKeys }
                return Partition(
                    partition: p, startOffset: entries.first?.object.startOffset ?? 0, endOffset: nil,
                    lastObjectStartOffset: entries.last?.object.startOffset, objects: entries.count,
                    bytes: keys.reduce(0) { $0 + (contents.listed.size(of: $1) ?? 0) }, records: nil, gaps: [])
            }
            return Topic(
                name: name, partitionCount: nil, partitions: partitions,
                objects: partitions.reduce(0) { $0 + $1.objects }, bytes: partitions.reduce(0) { $0 + $1.bytes },
                records: nil)
        }
    }
}
