import Layout
import TimeText

/// What `ls` reports of a store's manifests, folded in one manifest at a time as they arrive, so
/// that `ls` of a million objects never holds them all.
public struct ManifestFigures: Sendable {
    /// How a manifest's object stands against the listing when it is folded in.
    enum Naming {
        /// Listed, and named here for the first time.
        case first
        /// Listed, and named by a manifest folded in before.
        case again
        /// Not in the listing.
        case unlisted
    }

    struct Partition: Sendable {
        /// From the runs' records of the partition; a partition no run recorded is not shown.
        var covered = false
        var lowestStart = Int64.max
        var highestEnd = Int64.min
        /// Offsets the runs' records cover, above the first kept: less than the span between the
        /// lowest start and the highest end when a run's manifest is missing.
        var coveredOffsets: Int64 = 0
        var gaps: [OffsetGap] = []
        var objects = 0
        var bytes: Int64 = 0
        var records: Int64 = 0
        var lastObjectStart: Int64?
    }

    private(set) var partitions: [TopicPartition: Partition] = [:]
    /// Each run's own figures (every object it names), in the order folded.
    private(set) var runs: [(key: String, run: StoreSummary.Run)] = []
    /// The partition count of each topic, from the newest run naming it (by run id, then key).
    private var partitionCounts: [String: (runId: RunID, key: String, count: Int32)] = [:]
    /// Keys counted that the listing lacks: an object named twice is counted once.
    private var countedUnlisted: Set<String> = []

    /// Folds in one manifest, read from `key`. `naming` holds one entry per object; objects below a
    /// partition's `firstOffsets` entry were pruned and are not counted.
    mutating func add(_ manifest: RunManifest, key: String, naming: [Naming], firstOffsets: [TopicPartition: Int64]) {
        runs.append((key, StoreSummary.run(manifest)))
        for topic in manifest.topics {
            let newer = partitionCounts[topic.name].map { (manifest.runId, key) >= ($0.runId, $0.key) } ?? true
            if newer { partitionCounts[topic.name] = (manifest.runId, key, topic.partitionCount) }
        }
        // Each partition's figures are changed in place (one hash, no copy of its gaps), and pruned
        // partitions looked up only when there are some: a million objects pass through here.
        for record in manifest.partitions {
            let tp = TopicPartition(record.topic, record.partition)
            let first = firstOffsets.isEmpty ? .min : firstOffsets[tp] ?? .min
            Self.update(&partitions[tp, default: Partition()]) { figures in
                figures.covered = true
                figures.lowestStart = min(figures.lowestStart, record.startOffset)
                figures.highestEnd = max(figures.highestEnd, record.endOffset)
                figures.coveredOffsets += max(0, record.endOffset - max(record.startOffset, first))
                figures.gaps += record.gaps.filter { $0.end > first }
            }
        }
        for position in manifest.objects.indices {
            let tp = TopicPartition(manifest.objects[position].topic, manifest.objects[position].partition)
            if !firstOffsets.isEmpty && manifest.objects[position].spanEnd <= firstOffsets[tp] ?? .min { continue }
            switch naming[position] {
            case .first: break
            case .again: continue
            case .unlisted: if !countedUnlisted.insert(manifest.objects[position].key).inserted { continue }
            }
            let (byteSize, recordCount, firstOffset) = (
                manifest.objects[position].byteSize, manifest.objects[position].recordCount, manifest.objects[position].firstOffset
            )
            Self.update(&partitions[tp, default: Partition()]) { figures in
                figures.objects += 1
                figures.bytes += byteSize
                figures.records += recordCount
                figures.lastObjectStart = max(figures.lastObjectStart ?? .min, firstOffset)
            }
        }
    }

    private static func update(_ figures: inout Partition, _ change: (inout Partition) -> Void) { change(&figures) }

    /// The topics as `ls` shows them, sorted by name and partition.
    func topics(pruned: PrunedState) -> [StoreSummary.Topic] {
        let firstOffsets = pruned.firstOffsets
        let prunedAt = Dictionary(
            pruned.partitions.map { (TopicPartition($0.topic, $0.partition), $0.prunedAt) }, uniquingKeysWith: { a, _ in a })
        let covered = partitions.filter(\.value.covered)
        let byTopic = Dictionary(grouping: covered.keys, by: \.topic)
        // A topic the runs named but never held a record of (empty when backed up): shown without partitions.
        return Set(byTopic.keys).union(partitionCounts.keys).sorted().map { name in
            let shown = (byTopic[name] ?? []).sorted().map { tp -> StoreSummary.Partition in
                let figures = covered[tp] ?? Partition()
                let first = firstOffsets[tp]
                let start = max(figures.lowestStart, first ?? .min)
                // Runs of one partition never overlap in a whole store, so coverage short of the
                // span is offsets no manifest names.
                let unrecorded = figures.highestEnd - start - figures.coveredOffsets
                return StoreSummary.Partition(
                    partition: tp.partition,
                    startOffset: start, endOffset: figures.highestEnd, unrecordedOffsets: unrecorded > 0 ? unrecorded : nil,
                    lastObjectStartOffset: figures.lastObjectStart,
                    objects: figures.objects, bytes: figures.bytes, records: figures.records,
                    gaps: figures.gaps.sorted { ($0.start, $0.end, $0.reason.rawValue) < ($1.start, $1.end, $1.reason.rawValue) }
                        .map { StoreSummary.Gap(start: $0.start, end: $0.end, reason: $0.reason.rawValue) },
                    prunedBefore: first, prunedAt: prunedAt[tp].map(Timestamps.rfc3339))
            }
            return StoreSummary.Topic(
                name: name, partitionCount: partitionCounts[name]?.count, partitions: shown,
                objects: shown.reduce(0) { $0 + $1.objects }, bytes: shown.reduce(0) { $0 + $1.bytes },
                records: shown.reduce(0) { $0 + ($1.records ?? 0) })
        }
    }

    /// The runs' own figures, in run order.
    var runSummaries: [StoreSummary.Run] {
        runs.sorted { ($0.run.runId, $0.key) < ($1.run.runId, $1.key) }.map(\.run)
    }
}
