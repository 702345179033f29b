import Foundation
import Testing
@testable import Kafka
import Layout

@Suite struct AdminTests {
    @Test func groupOffsetsCommitAndReadBack() throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        let topic = uniqueTopic("groups")
        try cluster.createTopic(topic, partitions: 2)
        let admin = try KafkaAdmin(config: cluster.config)
        let p0 = TopicPartition(topic: topic, partition: 0)
        let p1 = TopicPartition(topic: topic, partition: 1)
        let before = try admin.committedOffsets(group: "g1", partitions: [p0, p1])
        #expect(before[p0] == .some(nil))
        try admin.commitOffsets(group: "g1", offsets: [p0: 5, p1: 9])
        let after = try admin.committedOffsets(group: "g1", partitions: [p0, p1])
        #expect(after[p0] == .some(5))
        #expect(after[p1] == .some(9))
        let other = try admin.committedOffsets(group: "g2", partitions: [p0])
        #expect(other[p0] == .some(nil))
    }

    @Test func listGroupsOnTheMockIsUnsupportedWithinTheTimeout() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let admin = try KafkaAdmin(config: cluster.config)
        let started = Date()
        do {
            let groups = try admin.listGroups(timeoutMilliseconds: 3000)
            // Newer librdkafka mocks answer ListGroups: then the answer must be a list (empty here).
            #expect(groups.isEmpty)
        } catch let error as KafkaError {
            #expect(error.kind == .unsupported(operation: "ListGroups"))
        }
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func createTopicsAndDescribeConfigsFailClearlyOrWork() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let admin = try KafkaAdmin(config: cluster.config)
        let topic = uniqueTopic("created")
        let started = Date()
        do {
            let failures = try admin.createTopics(
                [KafkaNewTopic(name: topic, partitions: 3, configs: ["cleanup.policy": "compact"])],
                timeoutMilliseconds: 3000)
            #expect(failures.isEmpty)
            #expect(try admin.topic(topic)?.partitionCount == 3)
        } catch let error as KafkaError {
            #expect(error.kind == .unsupported(operation: "CreateTopics"))
            #expect(error.description.contains("create topics"))
            #expect(!error.description.contains("\n"))
        }
        #expect(Date().timeIntervalSince(started) < 30)
        // The mock names no controller: the answer is "unsupported" at once, not after the 20 s timeout.
        let describing = Date()
        do {
            _ = try admin.describeTopicConfigs(topic, timeoutMilliseconds: 20_000)
        } catch let error as KafkaError {
            #expect(error.kind == .unsupported(operation: "DescribeConfigs"))
            #expect(error.description.contains("describe configs"))
            #expect(Date().timeIntervalSince(describing) < 10)
        }
    }
}
