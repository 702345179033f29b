import Foundation

extension RunManifest {
    /// Why this run's objects are not where `layout` looks for them, or nil when they are: a reader
    /// given another `--topics-dir` would find none of them, and a prune would take what it does find
    /// there (another writer's objects) for leftovers. Follows "run <id> " in the line it goes in.
    public func topicsDirMismatch(_ layout: StoreLayout) -> String? {
        guard store.topicsDir != layout.topicsDir else { return nil }
        return "wrote its objects under topics dir '\(store.topicsDir)', not '\(layout.topicsDir)'; pass --topics-dir \(store.topicsDir)"
    }

    /// Objects of one partition, sorted by first offset.
    public func objects(topic: String, partition: Int32) -> [ManifestObject] {
        objects.filter { $0.topic == topic && $0.partition == partition }.sorted { $0.firstOffset < $1.firstOffset }
    }

    /// The run's record of one partition, if it covered it.
    public func partition(topic: String, partition: Int32) -> ManifestPartition? {
        partitions.first { $0.topic == topic && $0.partition == partition }
    }

    /// For each object, the index in `partitions` of a record of its partition, or -1 when the run
    /// recorded none. A run's objects follow its records' order, so most are matched by comparing
    /// with the record at hand; only the others are looked up (a hash per object adds up over a
    /// million).
    public func partitionRecordIndices() -> [Int32] {
        var indices: [Int32] = []
        indices.reserveCapacity(objects.count)
        var lookup: [TopicPartition: Int32]?
        var hint = 0
        func holds(_ record: Int, _ object: Int) -> Bool {
            partitions[record].partition == objects[object].partition && partitions[record].topic == objects[object].topic
        }
        for object in objects.indices {
            if hint < partitions.count && holds(hint, object) {
                indices.append(Int32(hint))
            } else if hint + 1 < partitions.count && holds(hint + 1, object) {
                hint += 1
                indices.append(Int32(hint))
            } else {
                if lookup == nil {
                    lookup = Dictionary(
                        partitions.indices.map { (TopicPartition(partitions[$0].topic, partitions[$0].partition), Int32($0)) },
                        uniquingKeysWith: { first, _ in first })
                }
                let found = lookup?[TopicPartition(objects[object].topic, objects[object].partition)] ?? -1
                if found >= 0 { hint = Int(found) }
                indices.append(found)
            }
        }
        return indices
    }

    /// The topic as this run saw it.
    public func topic(named name: String) -> ManifestTopic? { topics.first { $0.name == name } }

    /// Every gap lost to retention, for loud reporting.
    public var retentionGaps: [(TopicPartition, OffsetGap)] {
        partitions.flatMap { p in
            p.gaps.filter { $0.reason == .retention }.map { (TopicPartition(p.topic, p.partition), $0) }
        }
    }

    /// Continuity problems of every partition this run covered.
    public func continuityProblems() -> [CoverageProblem] {
        partitions.sorted { TopicPartition($0.topic, $0.partition) < TopicPartition($1.topic, $1.partition) }
            .flatMap { p in
                PartitionCoverage.problems(
                    topic: p.topic, partition: p.partition, covered: [p.range],
                    objects: objects(topic: p.topic, partition: p.partition), gaps: p.gaps)
            }
    }
}

extension Array where Element == RunManifest {
    /// Manifests in run order (run ids sort by time).
    public func sortedByRun() -> [RunManifest] { sorted { $0.runId < $1.runId } }

    /// The store as it was after run `runId` (inclusive): runs that sort after it are dropped.
    /// Nil when no manifest has that id.
    public func asOf(_ runId: RunID) -> [RunManifest]? {
        guard contains(where: { $0.runId == runId }) else { return nil }
        return filter { $0.runId <= runId }.sortedByRun()
    }

    /// Objects of one partition across runs, sorted by first offset.
    public func objects(topic: String, partition: Int32) -> [ManifestObject] {
        flatMap { $0.objects(topic: topic, partition: partition) }.sorted { $0.firstOffset < $1.firstOffset }
    }

    /// Every partition any run covered.
    public var topicPartitions: [TopicPartition] {
        Set(flatMap { $0.partitions.map { TopicPartition($0.topic, $0.partition) } }).sorted()
    }

    /// The latest view of each topic (from the newest run that names it).
    public var latestTopics: [ManifestTopic] {
        var byName: [String: ManifestTopic] = [:]
        for manifest in sortedByRun() { for topic in manifest.topics { byName[topic.name] = topic } }
        return byName.keys.sorted().compactMap { byName[$0] }
    }

    /// Continuity problems of every partition across all runs: their covered ranges joined,
    /// objects and gaps checked against the union. Offsets below a partition's `firstOffsets` entry
    /// were pruned: the ranges, objects and gaps below it are left out of the check.
    public func continuityProblems(firstOffsets: [TopicPartition: Int64] = [:]) -> [CoverageProblem] {
        // One pass groups every run's records and objects by partition (filtering all runs once per
        // partition cost partitions x objects), by 8-byte positions: a store's objects are held once.
        var records: [TopicPartition: [Position]] = [:]
        var objects: [TopicPartition: [Position]] = [:]
        for (m, manifest) in enumerated() {
            for (i, p) in manifest.partitions.enumerated() {
                records[TopicPartition(p.topic, p.partition), default: []].append(Position(manifest: Int32(m), element: Int32(i)))
            }
            for (i, object) in manifest.objects.enumerated() {
                objects[TopicPartition(object.topic, object.partition), default: []].append(Position(manifest: Int32(m), element: Int32(i)))
            }
        }
        return PartitionCoverage.problems(
            partitions: records.keys.sorted(), firstOffsets: firstOffsets,
            recordsOf: { tp in (records[tp] ?? []).map { self[Int($0.manifest)].partitions[Int($0.element)] } },
            objectsOf: { tp in (objects[tp] ?? []).map { self[Int($0.manifest)].objects[Int($0.element)] } })
    }
}

/// Where an object or a partition's record sits in an array of manifests.
private struct Position {
    var manifest: Int32
    var element: Int32
}
