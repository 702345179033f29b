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

    /// Group offsets of `selection` for each plan slot (index into `plan.partitions`).
    init(plan: RestorePlan, selection: ConsumerGroupSelection?) {
        guard let selection else { return }
        for (slot, partition) in plan.partitions.enumerated() {
            let offsets = plan.groupOffsets
                .filter { $0.topic == partition.sourceTopic && $0.partition == partition.partition && selection.selects($0.group) }
                .sorted { $0.offset < $1.offset }
            if !offsets.isEmpty { pending[slot] = offsets.map { Pending(offset: $0) } }
        }
    }

    var groups: [String] { Set(pending.values.flatMap { $0.map(\.offset.group) }).sorted() }
    var isEmpty: Bool { pending.isEmpty }
    /// Whether partition `slot`'s records must be observed (a group offset of it awaits translation).
    func needsRecords(slot: Int) -> Bool { pending[slot] != nil }

    /// Record number `index` (0-based among this partition's restorable records) has `sourceOffset`.
    mutating func observe(slot: Int, sourceOffset: Int64, index: Int64) {
        guard var list = pending[slot] else { return }
        var next = cursor[slot] ?? 0
        guard next < list.count, list[next].offset.offset <= sourceOffset else { return }
        while next < list.count, list[next].offset.offset <= sourceOffset {
            list[next].restoredBefore = index
            next += 1
        }
        pending[slot] = list
        cursor[slot] = next
    }

    /// The partition is done: offsets past its last record point after it.
    mutating func finish(slot: Int, total: Int64) {
        guard var list = pending[slot] else { return }
        for i in (cursor[slot] ?? 0)..<list.count { list[i].restoredBefore = total }
        pending[slot] = list
        cursor[slot] = list.count
    }

    /// Target offsets per group: `bases[slot]` is the target offset of the partition's first restored record.
    func translations(plan: RestorePlan, bases: [Int: Int64]) -> [String: [TopicPartition: Int64]] {
        var result: [String: [TopicPartition: Int64]] = [:]
        let partitions = plan.partitions
        for (slot, list) in pending {
            guard let base = bases[slot] else { continue }
            for item in list {
                guard let before = item.restoredBefore else { continue }
                result[item.offset.group, default: [:]][partitions[slot].target] = base + before
            }
        }
        return result
    }
}
