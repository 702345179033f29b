import Foundation

/// Where the next backup run resumes, derived from the manifests (nothing is stored and overwritten).
public struct Checkpoint: Equatable, Sendable {
    /// Next offset to read per partition: the highest `endOffset` any run reached.
    public var nextOffsets: [TopicPartition: Int64]
    /// The newest run, which the next run names as its `previousRunId`.
    public var lastRunId: RunID?
    /// Per topic, the Kafka cluster id the newest run that recorded one read it from.
    public var clusterIds: [String: String]
    /// Per partition, the checksum of the record just before its next offset, where a run recorded one.
    public var lastRecordChecksums: [TopicPartition: String]
    /// Where that record is, for partitions whose runs ended on transaction markers (else just
    /// before the next offset).
    public var lastRecordOffsets: [TopicPartition: Int64]
    /// Every run folded in, oldest first: the order a restore takes each group offset's newest value
    /// in. Runs that overlapped name the same `previousRunId`, so the chain of those skips one.
    public var runs: [RunID]
    /// Per topic, the most partitions a run of this shard saw it with (`StoreIndex.partitionCounts`).
    public var partitionCounts: [String: Int32]
    /// Per partition no run covered, the offset a run found it empty at (`StoreIndex.emptyPartitions`).
    public var emptyOffsets: [TopicPartition: Int64]

    public init(
        nextOffsets: [TopicPartition: Int64] = [:], lastRunId: RunID? = nil, clusterIds: [String: String] = [:],
        lastRecordChecksums: [TopicPartition: String] = [:], lastRecordOffsets: [TopicPartition: Int64] = [:], runs: [RunID] = [],
        partitionCounts: [String: Int32] = [:], emptyOffsets: [TopicPartition: Int64] = [:]
    ) {
        self.nextOffsets = nextOffsets
        self.lastRunId = lastRunId
        self.clusterIds = clusterIds
        self.lastRecordChecksums = lastRecordChecksums
        self.lastRecordOffsets = lastRecordOffsets
        self.runs = runs
        self.partitionCounts = partitionCounts
        self.emptyOffsets = emptyOffsets
    }

    /// Next offset for a partition: where a run left it, or found it empty; 0 for a partition added
    /// to its topic since the runs saw it (Kafka starts it there, so a log start above 0 is
    /// retention's loss since), else nil (no run saw it: start from the log start).
    public func nextOffset(topic: String, partition: Int32) -> Int64? {
        let tp = TopicPartition(topic, partition)
        if let next = nextOffsets[tp] ?? emptyOffsets[tp] { return next }
        guard let count = partitionCounts[topic], partition >= count else { return nil }
        return 0
    }

    /// Every topic the runs followed: backed up, found empty, or described.
    public var topics: Set<String> {
        Set(nextOffsets.keys.map(\.topic)).union(emptyOffsets.keys.map(\.topic)).union(partitionCounts.keys)
    }

    /// Whether a run covered offsets of `topic` (records or gaps).
    public func coversOffsets(of topic: String) -> Bool {
        nextOffsets.keys.contains { $0.topic == topic }
    }

    /// Drops what the runs noted of `topic` without covering its offsets: where its partitions were
    /// found empty, and how many there were.
    public mutating func forget(_ topic: String) {
        emptyOffsets = emptyOffsets.filter { $0.key.topic != topic }
        partitionCounts[topic] = nil
    }

    /// `nextOffset`, but nil for a partition only ever found empty whose log now starts below where
    /// it was found (a log start never moves back): its topic was deleted and created again, and the
    /// store holds none of its records.
    public func nextOffset(topic: String, partition: Int32, logStart: Int64) -> Int64? {
        let tp = TopicPartition(topic, partition)
        if nextOffsets[tp] == nil, let seen = emptyOffsets[tp], logStart < seen { return nil }
        return nextOffset(topic: topic, partition: partition)
    }

    /// Of `plans` a run accounted from their log start (each its range `[from, end)`), those found
    /// empty where no run covered them, and not already at that offset in the store: for the run's
    /// manifest.
    public func newlyEmpty(_ plans: [(partition: TopicPartition, from: Int64, end: Int64)]) -> [ManifestEmptyPartition] {
        plans.filter { $0.from == $0.end && nextOffsets[$0.partition] == nil && emptyOffsets[$0.partition] != $0.end }
            .sorted { $0.partition < $1.partition }
            .map { ManifestEmptyPartition(topic: $0.partition.topic, partition: $0.partition.partition, offset: $0.end) }
    }

    /// Folds `manifests` into a checkpoint, as the store index folds them; a manifest written with
    /// other byte-changing settings (`configHash` differs from `expectedConfigHash`) is refused,
    /// naming its run.
    public static func derive(from manifests: [RunManifest], expectedConfigHash: String) throws -> Checkpoint {
        for manifest in manifests.sortedByRun() where !manifest.isPlaceholder && manifest.configHash != expectedConfigHash {
            throw CheckpointError(runId: manifest.runId, found: manifest.configHash, expected: expectedConfigHash)
        }
        return try StoreIndex.of(manifests).checkpoint(expectedConfigHash: expectedConfigHash)
    }
}

/// A run written with settings that change object bytes, so this job cannot continue it.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    public var runId: RunID
    public var found: String
    public var expected: String
    /// The settings found changed, as `ManifestStoreSettings.changes` words them, once the run's
    /// manifest was read; empty names every setting the hash covers.
    public var changes: [String] = []

    public init(runId: RunID, found: String, expected: String) {
        self.runId = runId
        self.found = found
        self.expected = expected
    }

    public var description: String {
        let changed =
            changes.isEmpty
            ? "format, compression, topics-dir, store-keys, store-headers or on-invalid-json changed" : changes.joined(separator: "; ")
        return "run \(runId): config hash \(found.prefix(12)) differs from this job's \(expected.prefix(12)) (\(changed)); "
            + "run it with the store's settings, or back it up into another store prefix (one prefix holds one set of runs)"
    }
}
