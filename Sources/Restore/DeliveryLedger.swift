import Failures
import Foundation
import Kafka
import Layout
import RecordFormats

/// Tallies confirmed deliveries per destination (target partition, see `RestoreDestinations`) from
/// delivery reports, the only thing that advances resume state, and keeps the batches the producer reads in place until every record
/// of them has its report.
///
/// The producer does not copy a record's bytes: librdkafka reads them from the batch they were
/// decoded into, when it builds a request and again if it retries one, so a batch is lent to it
/// and comes back (to be decoded into again) only after its last report. A record's id names its
/// loan and its index in the batch, which also give its destination and source offset.
// @unchecked Sendable: every mutable field is read and written under `lock`.
final class DeliveryLedger: @unchecked Sendable {
    /// One destination's reports so far.
    struct Tally: Sendable {
        /// Records delivered in this run.
        var delivered: Int64 = 0
        /// Source offset of the last delivered record.
        var lastSourceOffset: Int64?
        /// The target offset the next delivered record must get (records of one partition are contiguous).
        var expectedTargetOffset: Int64
        /// The first failure in this partition; nothing after it counts (but a refusal whose report
        /// comes after a failure it caused takes that one's place).
        var failure: RunFailure?
        var failureIsConsequence = false
    }

    /// A batch lent to the producer.
    private final class Loan {
        let destination: Int
        let records: RecordBatch
        /// Index in `records` of the record whose id carries index 0.
        let base: Int
        /// Records queued less reports received; it may dip below zero while the lender still
        /// queues (reports come as the queue drains), so the batch returns only once `lending` ends.
        var outstanding = 0
        var lending = true

        init(destination: Int, records: RecordBatch, base: Int) {
            self.destination = destination
            self.records = records
            self.base = base
        }

        var isSettled: Bool { !lending && outstanding == 0 }
    }

    /// Bits of a record id that hold its index in its batch; the rest is the loan's number.
    static let indexBits = 24
    static let maxRecordsPerLoan = 1 << indexBits

    private let lock = NSLock()
    /// Indexed by destination (numbered from 0): a delivery report, one per record, then costs no
    /// hashing and no copy of the tally.
    private var tallies: [Tally?] = []
    private var total: Int64 = 0
    private var failed = false
    private var loans: [UInt64: Loan] = [:]
    private var nextLoan: UInt64 = 0
    /// Reports come in runs of one batch: the last loan looked up is kept at hand.
    private var lastLoan: (number: UInt64, loan: Loan)?
    /// Receives each batch once every record of it has its report.
    private var returnBatch: (@Sendable (RecordBatch) -> Void)?

    /// Starts counting a destination whose next record lands at `nextTargetOffset`.
    func open(destination: Int, nextTargetOffset: Int64) {
        lock.withLock {
            if tallies.count <= destination { tallies += Array(repeating: nil, count: destination + 1 - tallies.count) }
            tallies[destination] = Tally(expectedTargetOffset: nextTargetOffset)
        }
    }

    func tally(of destination: Int) -> Tally? {
        lock.withLock { destination < tallies.count ? tallies[destination] : nil }
    }

    var totalDelivered: Int64 { lock.withLock { total } }

    /// Batches lent and not yet returned.
    var loansOutstanding: Int { lock.withLock { loans.count } }

    /// Where batches go once the producer is done with them.
    func onReturn(_ body: @escaping @Sendable (RecordBatch) -> Void) {
        lock.withLock { returnBatch = body }
    }

    /// The first failure in any partition (checked per record, so the common case is one flag): a
    /// cause before the failures it caused in other partitions.
    var firstFailure: RunFailure? {
        lock.withLock { failed ? cause() ?? tallies.lazy.compactMap { $0?.failure }.first : nil }
    }

    /// The first failure that is not the consequence of another, if any report carried one.
    var firstCause: RunFailure? { lock.withLock { cause() } }

    /// `firstCause`, under the lock.
    private func cause() -> RunFailure? {
        tallies.lazy.compactMap { $0 }.first { $0.failure != nil && !$0.failureIsConsequence }?.failure
    }

    /// Lends `records` bound for `destination` to the producer, which queues records with ids from
    /// `id(loan:index:)` (index counted from `base`, below `maxRecordsPerLoan`), then calls `endLending`.
    func lend(_ records: RecordBatch, destination: Int, base: Int) -> UInt64 {
        lock.withLock {
            let number = nextLoan
            nextLoan += 1
            loans[number] = Loan(destination: destination, records: records, base: base)
            return number
        }
    }

    static func id(loan: UInt64, index: Int) -> UInt64 { loan << UInt64(indexBits) | UInt64(index) }

    /// The lender has queued `queued` records of loan `number` and reads the batch no more.
    func endLending(_ number: UInt64, queued: Int) {
        let returned: RecordBatch? = lock.withLock {
            guard let loan = loans[number] else { return nil }
            loan.outstanding += queued
            loan.lending = false
            return settle(number, loan)
        }
        if let returned { returnBatch?(returned) }
    }

    /// The delivery callback.
    func record(_ report: KafkaDeliveryReport) {
        let number = report.id >> UInt64(Self.indexBits)
        let index = Int(report.id & UInt64(Self.maxRecordsPerLoan - 1))
        let returned: RecordBatch? = lock.withLock {
            let loan: Loan
            if let last = lastLoan, last.number == number {
                loan = last.loan
            } else {
                guard let found = loans[number] else { return nil }
                loan = found
                lastLoan = (number, found)
            }
            count(report, destination: loan.destination, sourceOffset: loan.records.offset(at: loan.base + index))
            loan.outstanding -= 1
            return settle(number, loan)
        }
        if let returned { returnBatch?(returned) }
    }

    /// Ends a settled loan (under the lock) and hands back its batch.
    private func settle(_ number: UInt64, _ loan: Loan) -> RecordBatch? {
        guard loan.isSettled else { return nil }
        loans[number] = nil
        if lastLoan?.number == number { lastLoan = nil }
        return loan.records
    }

    /// Refusals by a target's settings, which a rerun meets again (exit 2), with what to change.
    static let targetLimits: [KafkaError.Code: String] = [
        .messageTooLarge: "the target topic's max.message.bytes, or the broker's message.max.bytes, is below this record's size",
        .invalidRecord: "the target refuses the record as it is: a compacted topic (cleanup.policy=compact) refuses one without a key",
        .invalidTimestamp:
            "the target refuses the record's timestamp: its message.timestamp.before.max.ms, or message.timestamp.after.max.ms for a time ahead of the broker's clock (message.timestamp.difference.max.ms before Kafka 3.6), does not reach it; raise it for the restore"
    ]

    /// Counts one report against its destination (under the lock).
    private func count(_ report: KafkaDeliveryReport, destination: Int, sourceOffset: Int64) {
        guard destination < tallies.count, let tally = tallies[destination] else { return }
        if tally.failure != nil {
            guard tally.failureIsConsequence, let error = report.error, !error.isConsequenceOfAnotherFailure else { return }
        }
        func place() -> String { "\(report.topicPartition.topic)/\(report.topicPartition.partition)" }
        if let error = report.error {
            tallies[destination]?.failureIsConsequence = error.isConsequenceOfAnotherFailure
            let line = "delivery to \(place()) failed for source offset \(sourceOffset): \(error)"
            // Refused by the target's ACLs or limits: the same record is refused on every rerun (exit 2).
            if error.isConfigurationError {
                tallies[destination]?.failure = .invalidInput(line, cause: error)
            } else if let limit = Self.targetLimits[error.code] {
                tallies[destination]?.failure = .invalidInput(line + " (\(limit))", cause: error)
            } else {
                tallies[destination]?.failure = .failure(line, cause: error)
            }
        } else if let offset = report.offset, offset != tally.expectedTargetOffset {
            tallies[destination]?.failure = .failure(
                "target \(place()): a restored record got offset \(offset), expected \(tally.expectedTargetOffset); another producer is writing into this partition"
            )
        } else {
            // Changed in place: no copy of the tally per record.
            tallies[destination]?.delivered += 1
            tallies[destination]?.lastSourceOffset = sourceOffset
            tallies[destination]?.expectedTargetOffset += 1
            total += 1
            return
        }
        failed = true
    }
}
