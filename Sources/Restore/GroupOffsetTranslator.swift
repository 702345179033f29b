import Foundation
import Layout
import JobSpec

/// Translates saved group offsets exactly: source offset o in partition p becomes the target offset
/// of the first restored record with source offset ≥ o, i.e. base + (restored records before o).
/// Fed every restorable record while streaming, skipped ones included, so a resumed run agrees.
struct GroupOffsetTranslator {
    /// A group offset waiting for its translation.
    struct Pending {
        var offset: ManifestGroupOffset
        var restoredBefore: Int64?
    }

    private var pending: [Int: [Pending]] = [:]
    private var cursor: [Int: Int] = [:]
    /// Saved offsets of partitions of restored topics that restore nothing (empty in the source, or
    /// every record outside the time range): they go where the first restored record would have
    /// gone, the target partition's end.
    private(set) var unplanned: [String: Set<TopicPartition>] = [:]

    /// Group offsets of `selection` for each planned partition (keyed by its index in `plan.partitions`,
    /// as every method's `partition` is). With `filesSelected` (`--topic-regex-list`) a partition
    /// without planned objects may be one the user left out: its offsets are left alone, unless its
    /// topic holds no record at all.
    init(plan: RestorePlan, selection: ConsumerGroupSelection?, filesSelected: Bool = false) {
        guard let selection else { return }
        // Grouped by partition once: filtering every saved offset for each planned partition took
        // seconds at thousands of partitions and hundreds of groups.
        var saved: [TopicPartition: [ManifestGroupOffset]] = [:]
        for offset in plan.groupOffsets where selection.selects(offset.group) {
            saved[TopicPartition(offset.topic, offset.partition), default: []].append(offset)
        }
        for (index, planned) in plan.partitions.enumerated() {
            let offsets = (saved[planned.source] ?? []).sorted { $0.offset < $1.offset }
            if !offsets.isEmpty { pending[index] = offsets.map { Pending(offset: $0) } }
        }
        for topic in plan.topics where topic.repartitionedInto == nil && (!filesSelected || topic.isEmptyInStore) {
            let planned = Set(topic.partitions.map(\.partition))
            for partition in 0..<topic.sourcePartitions where !planned.contains(partition) {
                for offset in saved[TopicPartition(topic.sourceTopic, partition)] ?? [] {
                    unplanned[offset.group, default: []].insert(TopicPartition(topic.targetTopic, partition))
                }
            }
        }
    }

    var groups: [String] { Set(pending.values.flatMap { $0.map(\.offset.group) }).union(unplanned.keys).sorted() }
    var isEmpty: Bool { pending.isEmpty && unplanned.isEmpty }
    /// The target partitions whose end `translations` needs.
    var unplannedTargets: [TopicPartition] { Set(unplanned.values.joined()).sorted() }
    /// Whether planned partition `partition`'s records must be observed (a group offset of it awaits translation).
    func needsRecords(partition: Int) -> Bool { pending[partition] != nil }

    /// Record number `index` (0-based among this partition's restorable records) has `sourceOffset`.
    mutating func observe(partition: Int, sourceOffset: Int64, index: Int64) {
        guard var list = pending[partition] else { return }
        var next = cursor[partition] ?? 0
        guard next < list.count, list[next].offset.offset <= sourceOffset else { return }
        while next < list.count, list[next].offset.offset <= sourceOffset {
            list[next].restoredBefore = index
            next += 1
        }
        pending[partition] = list
        cursor[partition] = next
    }

    /// The partition is done: offsets past its last record point after it.
    mutating func finish(partition: Int, total: Int64) {
        guard var list = pending[partition] else { return }
        for i in (cursor[partition] ?? 0)..<list.count { list[i].restoredBefore = total }
        pending[partition] = list
        cursor[partition] = list.count
    }

    /// Target offsets per group: `bases[partition]` is the target offset of the partition's first
    /// restored record; `ends` the end of each of `unplannedTargets`.
    func translations(plan: RestorePlan, bases: [Int: Int64], ends: [TopicPartition: Int64] = [:]) -> [String: [TopicPartition: Int64]] {
        var result: [String: [TopicPartition: Int64]] = [:]
        for (group, targets) in unplanned {
            for target in targets { if let end = ends[target] { result[group, default: [:]][target] = end } }
        }
        let partitions = plan.partitions
        for (partition, list) in pending {
            guard let base = bases[partition] else { continue }
            for item in list {
                guard let before = item.restoredBefore else { continue }
                result[item.offset.group, default: [:]][partitions[partition].target] = base + before
            }
        }
        return result
    }
}
