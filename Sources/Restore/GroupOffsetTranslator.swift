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
        /// Source offsets from this one to the plan's first record, when it lies below that record.
        var belowFirst: Int64?
    }

    private var pending: [Int: [Pending]] = [:]
    private var cursor: [Int: Int] = [:]
    /// Saved offsets of partitions of restored topics that restore nothing (empty in the source, or
    /// every record outside the time range), by group and target partition: they go where the first
    /// restored record would have gone, the target partition's end.
    private(set) var unplanned: [String: [TopicPartition: Int64]] = [:]

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
                    unplanned[offset.group, default: [:]][TopicPartition(topic.targetTopic, partition)] = offset.offset
                }
            }
        }
    }

    var groups: [String] { Set(pending.values.flatMap { $0.map(\.offset.group) }).union(unplanned.keys).sorted() }
    var isEmpty: Bool { pending.isEmpty && unplanned.isEmpty }
    /// The target partitions whose end `translations` needs.
    var unplannedTargets: [TopicPartition] { Set(unplanned.values.flatMap(\.keys)).sorted() }
    /// Whether planned partition `partition`'s records must be observed (a group offset of it awaits translation).
    func needsRecords(partition: Int) -> Bool { pending[partition] != nil }

    /// Record number `index` (0-based among this partition's restorable records) has `sourceOffset`.
    mutating func observe(partition: Int, sourceOffset: Int64, index: Int64) {
        guard var list = pending[partition] else { return }
        var next = cursor[partition] ?? 0
        guard next < list.count, list[next].offset.offset <= sourceOffset else { return }
        while next < list.count, list[next].offset.offset <= sourceOffset {
            list[next].restoredBefore = index
            if index == 0 && list[next].offset.offset < sourceOffset { list[next].belowFirst = sourceOffset - list[next].offset.offset }
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
    /// restored record; `ends` the end of each of `unplannedTargets`. `floors[partition]`, where
    /// lower than its base, is where this restore began in the target: the records between were
    /// restored from objects pruned since. An offset among those is placed at most one target
    /// offset per source offset before the base (each offset held at most one record), never
    /// below the floor: exact where no offset lacked a record, else earlier, so that the group's
    /// consumers may read records again but never skip one.
    /// A partition a prune has emptied since this restore filled it (`restoredBefore`, its state)
    /// is placed by the same rule, from the records its state confirmed, all below its next offset.
    func translations(
        plan: RestorePlan, bases: [Int: Int64], floors: [Int: Int64] = [:], ends: [TopicPartition: Int64] = [:],
        restoredBefore: [TopicPartition: RestoreResumeState] = [:]
    ) -> [String: [TopicPartition: Int64]] {
        var result: [String: [TopicPartition: Int64]] = [:]
        for (group, offsets) in unplanned {
            for (target, offset) in offsets {
                guard let end = ends[target] else { continue }
                if let state = restoredBefore[target], offset < state.nextSourceOffset {
                    let base = state.baseTargetOffset
                    result[group, default: [:]][target] = max(base, base + state.deliveredRecords - (state.nextSourceOffset - offset))
                } else {
                    result[group, default: [:]][target] = end
                }
            }
        }
        let partitions = plan.partitions
        for (partition, list) in pending {
            guard let base = bases[partition] else { continue }
            let floor = min(base, floors[partition] ?? base)
            for item in list {
                guard let before = item.restoredBefore else { continue }
                let target = item.belowFirst.map { max(floor, base - $0) } ?? base + before
                result[item.offset.group, default: [:]][partitions[partition].target] = target
            }
        }
        return result
    }
}
