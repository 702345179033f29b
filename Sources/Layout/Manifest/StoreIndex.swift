import Foundation

/// `_ktape/index.json`: what a backup run needs from every manifest before it, folded into one
/// small document, so a run reads one object however many runs the store holds. Manifests stay the
/// truth and are never rewritten; the index is derived from them (a store without one, or whose
/// index is lost, is folded again from a listing) and replaced only with `If-Match` on the version
/// read. A run folds its own manifest right after writing it, while it still holds its lease; a run
/// killed in between is folded by whichever run drops its lease (see docs/layout.md).
public struct StoreIndex: Codable, Equatable, Sendable {
    public static let formatName = "ktape-index"
    public static let currentVersion = 1

    public var format: String = StoreIndex.formatName
    public var version: Int = StoreIndex.currentVersion
    /// The settings every folded run shares (`RunManifest.configHash`; placeholders fix none), or that
    /// a run claimed just before its manifest (`IndexKeeper.claimSettings`); nil until either.
    public var configHash: String?
    /// The newest run folded, which the next run names as its previous run.
    public var lastRunId: RunID?
    /// Every run folded, in run order.
    public var runs: [RunID]
    /// Per partition, the next offset to back up: the highest `endOffset` any folded run reached.
    public var partitions: [Entry]
    /// Per topic, the Kafka cluster id of the newest folded run that read it and recorded one; nil
    /// in an index no such run was folded into.
    public var clusterIds: [String: String]?
    /// Per shard label (`RunManifest.shard`) and topic, the most partitions a folded run of that
    /// shard saw the topic with: a partition numbered past them was added since that shard last
    /// looked, so its offsets began at 0. Per shard, since one shard's run must not hide from another
    /// the partitions added to its share. Nil in an index folded before ktape kept it.
    public var partitionCounts: [String: [String: Int32]]?
    /// Partitions no folded run covered that a run found empty (`RunManifest.emptyPartitions`), at
    /// the lowest offset one found: a later run accounts from there. Nil while there is none.
    public var emptyPartitions: [ManifestEmptyPartition]?

    public struct Entry: Codable, Equatable, Sendable {
        public var topic: String
        public var partition: Int32
        public var nextOffset: Int64
        /// The folded run's `ManifestPartition.lastRecordCrc64nvme` (and `lastRecordOffset`) that
        /// reached `nextOffset`.
        public var lastRecordCrc64nvme: String?
        public var lastRecordOffset: Int64?

        public init(
            topic: String, partition: Int32, nextOffset: Int64, lastRecordCrc64nvme: String? = nil, lastRecordOffset: Int64? = nil
        ) {
            self.topic = topic
            self.partition = partition
            self.nextOffset = nextOffset
            self.lastRecordCrc64nvme = lastRecordCrc64nvme
            self.lastRecordOffset = lastRecordOffset
        }
    }

    public init(configHash: String? = nil, lastRunId: RunID? = nil, runs: [RunID] = [], partitions: [Entry] = []) {
        self.configHash = configHash
        self.lastRunId = lastRunId
        self.runs = runs
        self.partitions = partitions
    }

    /// Where `run` is, or would go, in the sorted `runs` (a binary search: cheap for years of hourly runs).
    private func position(of run: RunID) -> Int {
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle] < run { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Whether `run` is folded in.
    public func contains(_ run: RunID) -> Bool {
        let at = position(of: run)
        return at < runs.count && runs[at] == run
    }

    /// What shows that `newer` (manifests of runs after the index's newest, not folded yet) are not
    /// this store's history: a run continuing a run that neither the index nor `newer` holds, or
    /// one that starts a partition below where the index has it. Each run names the newest run of
    /// the index it read and starts where that index (and its lease) left each partition, and an
    /// index only grows; so such runs were written into a copy of this store, synced back over it
    /// after both were backed up (a fork, which a restore refuses), or a manifest was lost.
    /// With no index yet, `newer` are every manifest, and their ranges are compared with each other.
    public func forkEvidence(in newer: [RunManifest]) -> String? {
        let given = Set(newer.map(\.runId))
        let next = nextOffsets
        var ranges: [TopicPartition: [(range: Range<Int64>, run: RunID)]] = [:]
        for manifest in newer.sortedByRun() {
            if let previous = manifest.previousRunId, !given.contains(previous), !contains(previous) {
                return "run \(manifest.runId) continues run \(previous), which no manifest here is"
                    + (runs.isEmpty ? "" : " and the store index never held")
            }
            for p in manifest.partitions where p.startOffset < p.endOffset {
                let tp = TopicPartition(p.topic, p.partition)
                if let indexed = next[tp], p.startOffset < indexed {
                    return "run \(manifest.runId) starts \(tp) at offset \(p.startOffset), below offset \(indexed) "
                        + "that the store index's runs already reached"
                }
                if runs.isEmpty { ranges[tp, default: []].append((p.startOffset..<p.endOffset, manifest.runId)) }
            }
        }
        // Order-free (run ids come from each host's clock): ranges of one partition never overlap.
        for (tp, covered) in ranges.sorted(by: { $0.key < $1.key }) {
            let sorted = covered.sorted { $0.range.lowerBound < $1.range.lowerBound }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.range.lowerBound < earlier.range.upperBound {
                return "runs \(earlier.run) and \(later.run) both cover \(tp) offsets "
                    + "\(later.range.lowerBound)..<\(min(earlier.range.upperBound, later.range.upperBound))"
            }
        }
        return nil
    }

    /// Folds `manifests` in (those already folded are skipped); refuses one written with other
    /// settings than those folded before, naming its run.
    public mutating func fold(_ manifests: [RunManifest]) throws {
        var next = nextOffsets
        var lastRecords = lastRecordChecksums
        var lastRecordOffsets = self.lastRecordOffsets
        var empty = emptyOffsets
        var changed = false
        for manifest in manifests.sortedByRun() where !contains(manifest.runId) {
            // A placeholder carries the settings of whoever wrote it, but stored nothing: it fixes none.
            if !manifest.isPlaceholder {
                if let configHash, configHash != manifest.configHash {
                    throw CheckpointError(runId: manifest.runId, found: manifest.configHash, expected: configHash)
                }
                configHash = manifest.configHash
            }
            if let clusterId = manifest.clusterId, let ids = clusterIds {
                // A topic read from another cluster whose offsets no run covered (a backup lets it
                // be): the other cluster's empty partitions and counts say nothing of this one's.
                for topic in manifest.readTopics where ids[topic].map({ $0 != clusterId }) ?? false {
                    guard !next.keys.contains(where: { $0.topic == topic }) else { continue }
                    empty = empty.filter { $0.key.topic != topic }
                    partitionCounts = partitionCounts?.mapValues { $0.filter { $0.key != topic } }
                }
            }
            for p in manifest.partitions {
                let tp = TopicPartition(p.topic, p.partition)
                // The checksum belongs to the run that reached the partition's next offset.
                if p.endOffset > next[tp] ?? .min {
                    lastRecords[tp] = p.lastRecordCrc64nvme
                    lastRecordOffsets[tp] = p.lastRecordCrc64nvme == nil ? nil : p.lastRecordOffset
                }
                next[tp] = max(next[tp] ?? p.endOffset, p.endOffset)
            }
            for seen in manifest.emptyPartitions ?? [] {
                let tp = TopicPartition(seen.topic, seen.partition)
                empty[tp] = min(empty[tp] ?? seen.offset, seen.offset)
            }
            if !manifest.topics.isEmpty {
                var counts = partitionCounts ?? [:]
                for topic in manifest.topics {
                    counts[manifest.shard, default: [:]][topic.name] = max(counts[manifest.shard]?[topic.name] ?? 0, topic.partitionCount)
                }
                partitionCounts = counts
            }
            if let clusterId = manifest.clusterId {
                // Newer runs come later: the newest reading of each topic wins.
                var ids = clusterIds ?? [:]
                for topic in manifest.readTopics { ids[topic] = clusterId }
                clusterIds = ids
            }
            runs.insert(manifest.runId, at: position(of: manifest.runId))
            if lastRunId.map({ $0 < manifest.runId }) ?? true { lastRunId = manifest.runId }
            changed = true
        }
        if changed {
            partitions = next.keys.sorted().map {
                Entry(
                    topic: $0.topic, partition: $0.partition, nextOffset: next[$0] ?? 0, lastRecordCrc64nvme: lastRecords[$0],
                    lastRecordOffset: lastRecordOffsets[$0])
            }
            // A partition a run covered is accounted from where that left it.
            let stillEmpty = empty.filter { next[$0.key] == nil }.sorted { $0.key < $1.key }
            emptyPartitions =
                stillEmpty.isEmpty
                ? nil : stillEmpty.map { ManifestEmptyPartition(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
        }
    }

    /// The checkpoint the index holds for a run of `shard` (its label), refusing settings that differ
    /// from `expectedConfigHash`.
    public func checkpoint(expectedConfigHash: String, shard: String = "all") throws -> Checkpoint {
        if let configHash, configHash != expectedConfigHash, let lastRunId {
            throw CheckpointError(runId: lastRunId, found: configHash, expected: expectedConfigHash)
        }
        return Checkpoint(
            nextOffsets: nextOffsets, lastRunId: lastRunId, clusterIds: clusterIds ?? [:], lastRecordChecksums: lastRecordChecksums,
            lastRecordOffsets: lastRecordOffsets, runs: runs, partitionCounts: partitionCounts?[shard] ?? [:],
            emptyOffsets: emptyOffsets)
    }

    /// `emptyPartitions` by partition.
    private var emptyOffsets: [TopicPartition: Int64] {
        Dictionary(
            (emptyPartitions ?? []).map { (TopicPartition($0.topic, $0.partition), $0.offset) }, uniquingKeysWith: { a, b in min(a, b) })
    }

    /// Per partition, the next offset to back up.
    public var nextOffsets: [TopicPartition: Int64] {
        Dictionary(partitions.map { (TopicPartition($0.topic, $0.partition), $0.nextOffset) }, uniquingKeysWith: { a, _ in a })
    }

    /// The partitions' `lastRecordOffset`, where there is one.
    private var lastRecordOffsets: [TopicPartition: Int64] {
        Dictionary(
            partitions.compactMap { entry in entry.lastRecordOffset.map { (TopicPartition(entry.topic, entry.partition), $0) } },
            uniquingKeysWith: { a, _ in a })
    }

    /// The partitions' `lastRecordCrc64nvme`, where there is one.
    private var lastRecordChecksums: [TopicPartition: String] {
        Dictionary(
            partitions.compactMap { entry in entry.lastRecordCrc64nvme.map { (TopicPartition(entry.topic, entry.partition), $0) } },
            uniquingKeysWith: { a, _ in a })
    }

    /// The index of `manifests`.
    public static func of(_ manifests: [RunManifest]) throws -> StoreIndex {
        var index = StoreIndex()
        try index.fold(manifests)
        return index
    }

    public func encoded() throws -> Data { try LayoutJSON.encodeDocument(self) }

    public static func decode(_ data: Data, name: String) throws -> StoreIndex {
        try LayoutJSON.decode(StoreIndex.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}
