import Testing
@testable import Kafka
import Layout

@Suite struct TransactionTests {
    @Test func transactionsBeginCommitAndAbort() throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        let topic = uniqueTopic("txn")
        try cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        var config = cluster.config
        try config.set("transactional.id", "ktape-test-\(topic)")
        let log = DeliveryLog()
        let producer = try KafkaProducer(config: config, onDelivery: log.append)
        try producer.initTransactions()
        try producer.beginTransaction()
        try producer.produce(KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array("kept".utf8)), id: 1)
        try producer.commitTransaction()
        try producer.beginTransaction()
        try producer.produce(KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array("dropped".utf8)), id: 2)
        try producer.flush(timeoutMilliseconds: 10_000)
        try producer.abortTransaction()
        #expect(Set(log.reports.map(\.id)) == [1, 2])

        let partition = TopicPartition(topic: topic, partition: 0)
        let read = try readUntilEOF([(partition, .beginning)], config: cluster.config)
        // librdkafka's mock neither writes transaction markers nor sends aborted-transaction lists, so it
        // cannot show read_committed hiding "dropped" (a real broker does); it shows the calls work in order.
        #expect(read.records.first?.value == Array("kept".utf8))
        #expect(read.records.first?.offset == 0)
        #expect(read.records.count <= 2)
    }
}
