import Failures
import Foundation
import Kafka
import Layout
@testable import Restore
import Testing

/// Which of a source topic's saved configs a created target gets, and what happens when the target
/// refuses one (brokers name the config in their reason; tansu refuses none, so this runs without one).
@Suite struct TopicCreationTests {
    static let defaults = [
        "log.cleanup.policy": "delete", "log.retention.hours": "168", "message.max.bytes": "1048588",
        "log.cleaner.min.compaction.lag.ms": "0"
    ]

    func newTopic(_ configs: [String: String]) -> KafkaNewTopic {
        KafkaNewTopic(name: "copy", partitions: 3, replicationFactor: -1, configs: configs)
    }

    @Test func theCleanupPolicyIsWantedEvenFromOldManifests() {
        let old = ManifestTopic(name: "t", partitionCount: 1, configs: ["retention.ms": "5"], cleanupPolicy: "compact")
        #expect(TopicCreation.wanted(old) == ["retention.ms": "5", "cleanup.policy": "compact"])
        let current = ManifestTopic(
            name: "t", partitionCount: 1, configs: ["cleanup.policy": "compact,delete"], cleanupPolicy: "compact,delete")
        #expect(TopicCreation.wanted(current) == ["cleanup.policy": "compact,delete"])
    }

    @Test func configsAtTheTargetsDefaultAreLeftThereExceptTheCleanupPolicy() throws {
        var sent: [KafkaNewTopic] = []
        let created = try TopicCreation.create(
            newTopic([
                "cleanup.policy": "delete", "retention.ms": "604800000", "max.message.bytes": "2000000", "min.compaction.lag.ms": "0"
            ]), brokerDefaults: Self.defaults
        ) {
            sent.append($0)
            return nil
        }
        #expect(sent.map(\.configs) == [["cleanup.policy": "delete", "max.message.bytes": "2000000"]])
        #expect(created.applied == ["cleanup.policy": "delete", "max.message.bytes": "2000000"])
        #expect(created.atTargetDefault == ["min.compaction.lag.ms", "retention.ms"])
        #expect(created.refused == [:])
    }

    @Test func aRefusedConfigIsDroppedByName() throws {
        var sent: [[String: String]] = []
        let reason = "Invalid value 99999999999 for configuration delete.retention.ms: out of range"
        let created = try TopicCreation.create(
            newTopic(["cleanup.policy": "compact", "retention.ms": "10", "delete.retention.ms": "99999999999"]),
            brokerDefaults: [:]
        ) { topic in
            sent.append(topic.configs)
            return topic.configs["delete.retention.ms"] == nil ? nil : reason
        }
        #expect(sent.count == 2)
        #expect(created.applied == ["cleanup.policy": "compact", "retention.ms": "10"])
        #expect(created.refused == ["delete.retention.ms": reason])
    }

    @Test func aReasonNamingNoConfigDropsThemAllAndBareFailureThrows() throws {
        let created = try TopicCreation.create(newTopic(["cleanup.policy": "compact", "retention.ms": "10"]), brokerDefaults: [:]) {
            $0.configs.isEmpty ? nil : "policy violation"
        }
        #expect(created.applied == [:])
        #expect(created.refused == ["cleanup.policy": "policy violation", "retention.ms": "policy violation"])

        let error = #expect(throws: RunFailure.self) {
            try TopicCreation.create(newTopic(["cleanup.policy": "compact"]), brokerDefaults: [:]) { _ in "INVALID_REPLICATION_FACTOR" }
        }
        #expect(error?.message == "cannot create target topic copy: INVALID_REPLICATION_FACTOR")
    }
}
