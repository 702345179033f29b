import Foundation
import Testing
import KtapeTestSupport
@testable import Kafka
import Layout

@Suite struct ProducerTests {
    @Test func everyMessageGetsADeliveryReportWithItsID() throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        let topic = uniqueTopic("delivery")
        try cluster.createTopic(topic, partitions: 4)
        let records = (0..<500).map {
            KafkaProducerRecord(topic: topic, partition: Int32($0 % 4), key: nil, value: Array("\($0)".utf8))
        }
        let reports = try produceAll(records, config: cluster.config)
        #expect(reports.count == 500)
        #expect(Set(reports.map(\.id)) == Set(0..<500))
        for report in reports {
            #expect(report.error == nil)
            #expect(report.topicPartition.partition == Int32(report.id % 4))
        }
    }

    /// A record with headers refused at once (a partition the topic does not have) is an error, not a
    /// double free inside librdkafka 2.0.2's rd_kafka_produceva (its issue 4627; AddressSanitizer
    /// caught it in a restore), and the producer goes on.
    @Test func aRecordWithHeadersRefusedAtOnceIsAnError() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let topic = uniqueTopic("refused-headers")
        try cluster.createTopic(topic, partitions: 1)
        let reports = try produceAll(
            [KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array("warm".utf8))], config: cluster.config)
        #expect(reports.count == 1)
        let producer = try KafkaProducer(config: cluster.config, onDelivery: DeliveryLog().append)
        try producer.learnTopics([topic])
        let headers = [KafkaHeader(name: "h", value: Array("v".utf8)), KafkaHeader(name: "n", value: nil)]
        for attempt in 0..<3 {
            let error = #expect(throws: KafkaError.self) {
                try producer.produce(
                    topic: topic, partition: 7, key: nil, value: nil, headers: headers, timestamp: nil, id: UInt64(attempt))
            }
            #expect(error?.code == KafkaError.Code(rawValue: -190), "\(String(describing: error))")  // _UNKNOWN_PARTITION
        }
        try producer.produce(topic: topic, partition: 0, key: nil, value: nil, headers: headers, timestamp: nil, id: 9)
        try producer.flush(timeoutMilliseconds: 10_000)
    }

    @Test func failedDeliveryNamesTopicAndPartition() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let topic = uniqueTopic("missing-partition")
        try cluster.createTopic(topic, partitions: 1)
        var config = cluster.config
        try config.set("message.timeout.ms", "2000")
        let log = DeliveryLog()
        let producer = try KafkaProducer(config: config, onDelivery: log.append)
        try producer.produce(KafkaProducerRecord(topic: topic, partition: 5, key: nil, value: [1]), id: 42)
        try? producer.flush(timeoutMilliseconds: 10_000)
        let report = try #require(log.reports.first)
        #expect(report.id == 42)
        let error = try #require(report.error)
        #expect(error.description.contains("topic \(topic) partition 5"))
    }

    @Test func brokerDownAndUpWhileProducingStillDeliversEverything() throws {
        // A cluster of its own process: see MockKafkaProcess on taking brokers down.
        let topic = uniqueTopic("failover")
        let mock = try MockKafkaProcess(topic: topic, partitions: 3, brokers: 3)
        defer { mock.stop() }
        let config = KafkaConfig(bootstrapServers: mock.bootstrap)
        let log = DeliveryLog()
        let producer = try KafkaProducer(config: config, onDelivery: log.append)
        for index in 0..<300 {
            if index == 100 { try mock.setBroker(2, up: false) }
            if index == 200 { try mock.setBroker(2, up: true) }
            try producer.produce(
                KafkaProducerRecord(
                    topic: topic, partition: Int32(index % 3), key: nil,
                    value: Array("\(index)".utf8)), id: UInt64(index))
            producer.poll()
            if index == 150 { Thread.sleep(forTimeInterval: 0.5) }
        }
        try producer.flush(timeoutMilliseconds: 60_000)
        #expect(producer.outqLength == 0)
        #expect(log.reports.count == 300)
        #expect(log.reports.allSatisfy { $0.error == nil })
        let partitions = (0..<3).map { (TopicPartition(topic: topic, partition: Int32($0)), KafkaOffset.beginning) }
        let read = try readUntilEOF(partitions, config: config)
        // Idempotence: each value exactly once, in per-partition order.
        #expect(read.records.count == 300)
        for partition in Int32(0)..<3 {
            let values = read.records.filter { $0.partition == partition }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(values == stride(from: Int(partition), to: 300, by: 3).map { "\($0)" })
        }
    }

    @Test func aFullLocalQueueIsWaitedOutNotFailed() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let topic = uniqueTopic("queue-full")
        try cluster.createTopic(topic, partitions: 1)
        var config = cluster.config
        try config.set("queue.buffering.max.messages", "5")
        let log = DeliveryLog()
        let producer = try KafkaProducer(config: config, onDelivery: log.append)
        for index in 0..<200 {
            // No explicit poll: produce itself must poll when librdkafka answers _QUEUE_FULL.
            try producer.produce(
                KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: [UInt8(index % 256)]),
                id: UInt64(index))
            #expect(producer.outqLength <= 5 + 2)
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        #expect(log.reports.map(\.id) == Array(0..<200))
        #expect(log.reports.allSatisfy { $0.error == nil })
    }

    @Test func messageMaxBytesIsSettableAndEnforced() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let topic = uniqueTopic("large")
        try cluster.createTopic(topic, partitions: 1)
        var config = cluster.config
        try config.set("message.max.bytes", "2000")
        let producer = try KafkaProducer(config: config, onDelivery: { _ in })
        let error = try #require(throws: KafkaError.self) {
            try producer.produce(KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array(repeating: 1, count: 5000)), id: 1)
        }
        #expect(error.code == .messageTooLarge)
        #expect(error.description.contains("topic \(topic) partition 0"))
    }
}
