import Kafka
import KtapeTestSupport
import Layout
import Testing

@testable import Backup

/// The warning for a partition an open transaction holds back (its stable end below its end).
@Suite struct OpenTransactionsTests {
    /// Records that arrive after planning, with no transaction anywhere, move the end and the stable
    /// end alike: no warning. (The end was compared with the planned end, and a busy topic got a
    /// false "open transaction" line on most runs.)
    @Test func recordsArrivingAfterPlanningAreNoOpenTransaction() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("busy", partitions: 1)
        func produce(_ range: Range<Int>) throws {
            try fixture.produce(range.map { KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array("v\($0)".utf8)) })
        }
        try produce(0..<5)
        let partition = TopicPartition(topic: topic, partition: 0)
        let plan = PartitionPlan.make(partition, checkpoint: 5, low: 0, high: 5)
        #expect(!plan.hasWork)
        try produce(5..<10)
        let warnings = Lines()
        await OpenTransactions.warn(about: [plan], admin: try KafkaAdmin(config: fixture.kafka), kafka: fixture.kafka) {
            warnings.append($0)
        }
        #expect(warnings.all.isEmpty, "\(warnings.all)")
    }
}
