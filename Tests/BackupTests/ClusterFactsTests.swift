import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Consumer-group offsets saved with the run, and the mock's missing Admin APIs as warnings.
@Suite struct ClusterFactsTests {
    @Test func namedGroupsCommittedOffsetsAreSavedAndMissingAPIsOnlyWarn() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("grouped", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 8)
        let admin = try KafkaAdmin(config: fixture.kafka)
        try admin.commitOffsets(
            group: "billing",
            offsets: [
                TopicPartition(topic: topic, partition: 0): 3,
                TopicPartition(topic: topic, partition: 1): 4
            ])
        let store = MemoryStore()
        var request = try fixture.request(store: store, topics: [topic])
        request.consumerGroups = .names(["billing", "idle"])
        let summary = try await BackupEngine.run(request)
        #expect(summary.groupOffsets == 2)
        #expect(summary.groupOffsetsNotSaved == nil)

        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(
            manifest.consumerGroupOffsets == [
                ManifestGroupOffset(group: "billing", topic: topic, partition: 0, offset: 3),
                ManifestGroupOffset(group: "billing", topic: topic, partition: 1, offset: 4)
            ])
        // The mock has no DescribeConfigs: the topic is still described by its partition count.
        #expect(manifest.topics == [ManifestTopic(name: topic, partitionCount: 2)])
    }

    /// Without --consumer-groups every group is asked for; a broker that cannot list them (the mock)
    /// leaves none saved, and the summary says so rather than only a warning.
    @Test func groupsThatCannotBeListedAreSaidNotSaved() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("ungrouped", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let request = try fixture.request(store: MemoryStore(), topics: [topic])
        let summary = try await BackupEngine.run(request)
        #expect(summary.groupOffsets == 0)
        #expect(summary.groupOffsetsNotSaved?.hasPrefix("the cluster's consumer groups could not be listed") == true)
        #expect(summary.line.contains(", group offsets not saved, "))
        #expect(String(decoding: try summary.json(), as: UTF8.self).contains("\"groupOffsetsNotSaved\":"))
    }
}
