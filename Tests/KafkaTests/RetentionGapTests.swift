import Testing
@testable import Kafka
import Layout

@Suite struct RetentionGapTests {
    /// The mock keeps about 5 MiB per partition; 8 MiB of records move its log start past 0, as retention would.
    @Test func startOffsetDeletedByRetentionIsAnErrorNamingThePartition() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let topic = uniqueTopic("retention")
        try cluster.createTopic(topic, partitions: 1)
        var config = cluster.config
        try config.set("linger.ms", "0")
        try config.set("batch.size", "300000")
        let records = (0..<32).map { _ in
            KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array(repeating: 0x61, count: 256 * 1024))
        }
        let reports = try produceAll(records, config: config)
        #expect(reports.count == 32 && reports.allSatisfy { $0.error == nil })
        let partition = TopicPartition(topic: topic, partition: 0)
        let marks = try KafkaAdmin(config: cluster.config).watermarks(partition)
        #expect(marks.high == 32)
        #expect(marks.low > 0)

        let reader = try KafkaPartitionReader(config: cluster.config)
        try reader.assign([(partition, .exact(0))])
        var errors = [KafkaError]()
        var records0 = 0
        for _ in 0..<50 where errors.isEmpty {
            for event in try reader.poll(timeoutMilliseconds: 200) {
                if case .error(let error) = event { errors.append(error) }
                if case .record = event { records0 += 1 }
            }
        }
        #expect(records0 == 0)
        let error = try #require(errors.first)
        #expect(error.topic == topic)
        #expect(error.partition == 0)
        #expect(error.description.contains("topic \(topic) partition 0"))

        // Assigning again from the log start reads the rest.
        let read = try readUntilEOF([(partition, .beginning)], config: cluster.config)
        #expect(read.records.first?.offset == marks.low)
        #expect(read.records.count == Int(32 - marks.low))
    }
}
