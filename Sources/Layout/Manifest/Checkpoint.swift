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

    public init(
        nextOffsets: [TopicPartition: Int64] = [:], lastRunId: RunID? = nil, clusterIds: [String: String] = [:],
        lastRecordChecksums: [TopicPartition: String] = [:], lastRecordOffsets: [TopicPartition: Int64] = [:], runs: [RunID] = [],
        partitionCounts: [String: Int32] = [:]
    ) {
        self.nextOffsets = nextOffsets
        self.lastRunId = lastRunId
        self.clusterIds = clusterIds
        self.lastRecordChecksums = lastRecordChecksums
        self.lastRecordOffsets = lastRecordOffsets
        self.runs = runs
        self.partitionCounts = partitionCounts
    }

    /// Next offset for a partition: where a run left it, 0 for a partition added to its topic since
    /// the runs saw it (Kafka starts it there, so a log start above 0 is retention's loss since),
    /// else nil (no run covered it: start from the log start).
    public func nextOffset(topic: String, partition: Int32) -> Int64? {
        if let next = nextOffsets[TopicPartition(topic, partition)] { return next }
        guard let count = partitionCounts[topic], partition >= count else { return nil }
        return 0
    }

    /// Folds `manifests` into a checkpoint, as the store index folds them; a manifest written with
    /// other byte-changing settings (`configHash` differs from `expectedConfigHash`) is refused,
    /// naming its run.
    public static func derive(from manifests: [RunManifest], expectedConfigHash: String) throws -> Checkpoint {
        for manifest in manifests.sortedByRun() where manifest.configHash != expectedConfigHash {
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

    public var description: String {
        "run \(runId): config hash \(found.prefix(12)) differs from this job's \(expected.prefix(12)) "
            + "(format, compression, topics-dir, store-keys, store-headers or on-invalid-json changed); "
            + "run it with the store's settings, or back it up into another store prefix (one prefix holds one set of runs)"
    }
}
