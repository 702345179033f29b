import Foundation
@testable import Kafka
import Layout
@testable import Restore
import Testing
import RecordFormats

/// The producer reads a lent batch in place until every record queued from it has its report: the
/// ledger must hand a batch back exactly once, and never before that, whatever the order of events.
@Suite struct DeliveryLedgerTests {
    // @unchecked Sendable: its mutable state is under `lock`.
    final class Returned: @unchecked Sendable {
        private let lock = NSLock()
        private var batches: [RecordBatch] = []
        func add(_ batch: RecordBatch) { lock.withLock { batches.append(batch) } }
        var count: Int { lock.withLock { batches.count } }
        var offsets: [[Int64]] { lock.withLock { batches.map { b in (0..<b.count).map { b.offset(at: $0) } } } }
    }

    func batch(offsets: [Int64]) -> RecordBatch {
        var batch = RecordBatch()
        for offset in offsets {
            batch.append(RecordFormats.KafkaRecord(offset: offset, timestamp: 1, timestampType: .createTime, key: nil, value: [1]))
        }
        return batch
    }

    func report(_ loan: UInt64, _ index: Int, target: Int64?, error: KafkaError? = nil) -> KafkaDeliveryReport {
        KafkaDeliveryReport(
            id: DeliveryLedger.id(loan: loan, index: index),
            topicPartition: TopicPartition(topic: "t", partition: 0), offset: target, error: error)
    }

    @Test func aBatchComesBackOnceAfterItsLastReportAndTheLenderIsDone() {
        let ledger = DeliveryLedger()
        let returned = Returned()
        ledger.onReturn { returned.add($0) }
        ledger.open(destination: 0, nextTargetOffset: 100)
        let loan = ledger.lend(batch(offsets: [10, 11, 12]), destination: 0, base: 0)
        // Reports may come while the lender is still queueing (it polls when the queue is full).
        ledger.record(report(loan, 0, target: 100))
        ledger.record(report(loan, 1, target: 101))
        #expect(returned.count == 0)
        ledger.endLending(loan, queued: 3)
        #expect(returned.count == 0, "one record is still unreported")
        ledger.record(report(loan, 2, target: 102))
        #expect(returned.offsets == [[10, 11, 12]])
        #expect(ledger.loansOutstanding == 0)
        #expect(ledger.tally(of: 0)?.delivered == 3 && ledger.tally(of: 0)?.lastSourceOffset == 12)
        // A stray report for a finished loan changes nothing and returns nothing twice.
        ledger.record(report(loan, 2, target: 103))
        #expect(returned.count == 1 && ledger.tally(of: 0)?.delivered == 3)
    }

    @Test func failedReportsEndTheLoanToo() {
        let ledger = DeliveryLedger()
        let returned = Returned()
        ledger.onReturn { returned.add($0) }
        ledger.open(destination: 3, nextTargetOffset: 0)
        // A loan from the middle of a batch: ids count from its base.
        let loan = ledger.lend(batch(offsets: [5, 6, 7, 8]), destination: 3, base: 2)
        ledger.endLending(loan, queued: 2)
        ledger.record(report(loan, 0, target: nil, error: KafkaError(code: .timedOut, operation: "deliver")))
        #expect(returned.count == 0)
        ledger.record(report(loan, 1, target: nil, error: KafkaError(code: .timedOut, operation: "deliver")))
        #expect(returned.count == 1)
        #expect(ledger.firstFailure?.message.contains("source offset 7") == true)
        // A timeout may pass: a rerun is the cure (exit 1).
        #expect(ledger.firstFailure?.isInvalidInput == false)
        #expect(ledger.tally(of: 3)?.delivered == 0)
    }

    /// A target refusing the records (ACLs, a record above its size limit) refuses them on every
    /// rerun: exit 2, not a failure a scheduler retries.
    @Test(arguments: [29, 10])
    func aTargetRefusingTheRecordsIsNotARetry(code: Int32) {
        let ledger = DeliveryLedger()
        ledger.onReturn { _ in }
        ledger.open(destination: 0, nextTargetOffset: 0)
        let loan = ledger.lend(batch(offsets: [5]), destination: 0, base: 0)
        ledger.endLending(loan, queued: 1)
        ledger.record(report(loan, 0, target: nil, error: KafkaError(code: KafkaError.Code(rawValue: code), operation: "deliver")))
        #expect(ledger.firstFailure?.isInvalidInput == true)
        #expect(ledger.firstFailure?.message.contains("max.message.bytes") == (code == 10))
    }

    @Test func aLoanWithNothingQueuedComesBackAtOnce() {
        let ledger = DeliveryLedger()
        let returned = Returned()
        ledger.onReturn { returned.add($0) }
        let loan = ledger.lend(batch(offsets: [1]), destination: 0, base: 0)
        ledger.endLending(loan, queued: 0)
        #expect(returned.count == 1 && ledger.loansOutstanding == 0)
    }
}
