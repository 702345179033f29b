import Foundation

/// Restore resume state of one target topic, `_ktape/restore/<target cluster>/<topic>.json` (or in
/// `--state-dir`): for each of its partitions, where the restore began in the target and how far
/// it got. One document per topic, so a restore of many partitions makes a few writes, not two per
/// partition.
///
/// Version 1 was one document per partition, `<topic>+<p>.json`, with a partition's fields and
/// `targetTopic` at the top level; `decodeVersion1` reads those, so a restore begun by an older
/// ktape resumes. Version 3 is written only when an entry has `damaged`: ktape before it would resume
/// past those records, and refuses a newer version instead.
public struct RestoreProgress: Codable, Equatable, Sendable {
    public static let formatName = "ktape-restore-progress"
    public static let currentVersion = 3
    /// The version of a document without `damaged` entries.
    static let undamagedVersion = 2

    public var format: String = RestoreProgress.formatName
    public var version: Int = RestoreProgress.undamagedVersion
    public var targetTopic: String
    public var updatedAt: Date
    /// Sorted by partition, one entry each.
    public var partitions: [Partition]

    /// Resume state of one target partition.
    public struct Partition: Codable, Equatable, Sendable {
        public var partition: Int32
        public var sourceTopic: String
        /// Source offset after the last confirmed record (every restored record before it is delivered).
        public var nextSourceOffset: Int64
        /// The restore's settings hash (source, files, time range, as-of, key converter), so a changed restore does not resume.
        public var configHash: String
        /// The target partition's end offset before this restore produced anything into it; the
        /// restore's records are the target's records from here on, in source order.
        public var baseTargetOffset: Int64
        /// Records confirmed by delivery reports, counted from `baseTargetOffset`.
        public var deliveredRecords: Int64
        /// Restorable records in the plan (after filters); equal to `deliveredRecords` when finished.
        public var plannedRecords: Int64?
        public var updatedAt: Date
        /// Records of this object went into the target before it was found damaged; nil otherwise.
        public var damaged: DamagedObject?
        /// The source partition whose records this entry restores (the same number as `partition`),
        /// so that a prune can tell which offsets the restore still needs; nil for a `--repartition`
        /// target partition, which all of them feed, and in documents of a ktape before it.
        public var sourcePartition: Int32?

        public init(
            partition: Int32, sourceTopic: String, nextSourceOffset: Int64, configHash: String,
            baseTargetOffset: Int64, deliveredRecords: Int64, plannedRecords: Int64?, updatedAt: Date,
            damaged: DamagedObject? = nil, sourcePartition: Int32? = nil
        ) {
            self.partition = partition
            self.sourceTopic = sourceTopic
            self.nextSourceOffset = nextSourceOffset
            self.configHash = configHash
            self.baseTargetOffset = baseTargetOffset
            self.deliveredRecords = deliveredRecords
            self.plannedRecords = plannedRecords
            self.updatedAt = updatedAt
            self.damaged = damaged
            self.sourcePartition = sourcePartition
        }

        /// Equal but for `updatedAt`: nothing new to write.
        public func sameProgress(as other: Partition) -> Bool {
            var other = other
            other.updatedAt = updatedAt
            return self == other
        }
    }

    /// An object found damaged (checksum, size, a line that does not decode) after some of its
    /// records were produced: they may differ from the backup, whatever a mended object says now.
    public struct DamagedObject: Codable, Equatable, Sendable {
        public var key: String
        /// Source offset of the first of its records produced.
        public var firstProducedOffset: Int64
        public var foundAt: Date

        public init(key: String, firstProducedOffset: Int64, foundAt: Date) {
            self.key = key
            self.firstProducedOffset = firstProducedOffset
            self.foundAt = foundAt
        }
    }

    public init(targetTopic: String, updatedAt: Date, partitions: [Partition]) {
        version = partitions.contains { $0.damaged != nil } ? Self.currentVersion : Self.undamagedVersion
        self.targetTopic = targetTopic
        self.updatedAt = updatedAt
        self.partitions = partitions.sorted { $0.partition < $1.partition }
    }

    public func encoded() throws -> Data { try LayoutJSON.encodeDocument(self) }

    /// Reads a topic's document, refusing another format, a newer version, a one-partition
    /// (version 1) document and a partition listed twice; `name` (its key) is used in errors.
    public static func decode(_ data: Data, name: String) throws -> RestoreProgress {
        struct Header: Decodable { var version: Int }
        let header = try LayoutJSON.decode(Header.self, from: data, name: name, format: formatName, version: currentVersion)
        guard header.version >= undamagedVersion else {
            throw ManifestError(
                manifest: name, reason: "version \(header.version) is a one-partition document, not a topic's", noun: "restore state")
        }
        let progress = try LayoutJSON.decode(
            RestoreProgress.self, from: data, name: name, format: formatName, version: currentVersion, checkingSeal: false)
        var seen = Set<Int32>()
        for entry in progress.partitions where !seen.insert(entry.partition).inserted {
            throw ManifestError(manifest: name, reason: "partition \(entry.partition) is listed twice", noun: "restore state")
        }
        return progress
    }

    /// Reads a version 1 document (one partition, `<topic>+<p>.json`): its target topic and state.
    /// It holds a partition's fields at the top level (beside the header and `targetTopic`).
    public static func decodeVersion1(_ data: Data, name: String) throws -> (targetTopic: String, state: Partition) {
        struct Target: Decodable { var targetTopic: String }
        let state = try LayoutJSON.decode(Partition.self, from: data, name: name, format: formatName, version: 1)
        let target = try LayoutJSON.decode(Target.self, from: data, name: name, format: formatName, version: 1, checkingSeal: false)
        return (target.targetTopic, state)
    }
}
