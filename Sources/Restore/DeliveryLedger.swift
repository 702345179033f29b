import Foundation
import Kafka

/// Counts confirmed deliveries per target partition from delivery reports, the only thing that
/// advances resume state. A record's id carries its partition slot and source offset.
final class DeliveryLedger: @unchecked Sendable {
    struct Slot: Sendable {
        /// Records delivered in this run.
        var delivered: Int64 = 0
        /// Source offset of the last delivered record.
        var lastSourceOffset: Int64?
        /// The target offset the next delivered record must get (records of one partition are contiguous).
        var expectedTargetOffset: Int64
        /// The first failure in this partition; nothing after it counts.
        var failure: String?
    }

    private let lock = NSLock()
    /// Indexed by slot (a restore's partitions are numbered from 0): a delivery report, one per
    /// record, then costs no hashing and no copy of the slot.
    private var slots: [Slot?] = []
    private var total: Int64 = 0
    private var failed = false

    static func id(slot: Int, sourceOffset: Int64) -> UInt64 {
        UInt64(slot) << 48 | UInt64(sourceOffset & 0xFFFF_FFFF_FFFF)
    }

    /// Starts counting a partition whose next record lands at `nextTargetOffset`.
    func open(slot: Int, nextTargetOffset: Int64) {
        lock.withLock {
            if slots.count <= slot { slots += Array(repeating: nil, count: slot + 1 - slots.count) }
            slots[slot] = Slot(expectedTargetOffset: nextTargetOffset)
        }
    }

    func slot(_ index: Int) -> Slot? { lock.withLock { index < slots.count ? slots[index] : nil } }

    var totalDelivered: Int64 { lock.withLock { total } }

    /// The first failure in any partition (checked per record, so the common case is one flag).
    var firstFailure: String? {
        lock.withLock { failed ? slots.lazy.compactMap { $0?.failure }.first : nil }
    }

    /// The delivery callback.
    func record(_ report: KafkaDeliveryReport) {
        let slotIndex = Int(report.id >> 48)
        let sourceOffset = Int64(report.id & 0xFFFF_FFFF_FFFF)
        lock.lock()
        defer { lock.unlock() }
        guard slotIndex < slots.count, let slot = slots[slotIndex], slot.failure == nil else { return }
        func place() -> String { "\(report.topicPartition.topic)/\(report.topicPartition.partition)" }
        if let error = report.error {
            slots[slotIndex]?.failure = "delivery to \(place()) failed for source offset \(sourceOffset): \(error)"
        } else if let offset = report.offset, offset != slot.expectedTargetOffset {
            slots[slotIndex]?.failure = "target \(place()): a restored record got offset \(offset), expected \(slot.expectedTargetOffset); another producer is writing into this partition"
        } else {
            // Changed in place: no copy of the slot per record.
            slots[slotIndex]?.delivered += 1
            slots[slotIndex]?.lastSourceOffset = sourceOffset
            slots[slotIndex]?.expectedTargetOffset += 1
            total += 1
            return
        }
        failed = true
    }
}
