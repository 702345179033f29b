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

    /// A run with no new record still saves a group's offset that moved (its consumers caught up on a
    /// quiet topic), or a topic that changed: before, it wrote nothing, and a restore committed the
    /// old offset for good. With nothing changed it writes nothing, also past another job's run.
    @Test func aRunWithNoNewRecordSavesWhatChangedAndOnlyThat() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("quietly", partitions: 2)
        let other = try fixture.topic("beside", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 8)
        try fixture.produceJSON(topic: other, partitions: 1, count: 2)
        let admin = try KafkaAdmin(config: fixture.kafka)
        let p0 = TopicPartition(topic: topic, partition: 0)
        try admin.commitOffsets(group: "billing", offsets: [p0: 1])
        let store = MemoryStore()
        var request = try fixture.request(store: store, topics: [topic])
        request.consumerGroups = .names(["billing"])
        #expect(try await BackupEngine.run(request).records == 8)
        _ = try await fixture.backup(store: store, topics: [other])
        #expect(try await BackupEngine.run(request).manifestKey == nil)

        try admin.commitOffsets(group: "billing", offsets: [p0: 4])
        let caughtUp = try await BackupEngine.run(request)
        #expect(caughtUp.records == 0 && caughtUp.savedChangesOnly)
        #expect(caughtUp.line.hasSuffix("(no new records: changed topics or group offsets saved)"))
        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.count == 3)
        let saved = try #require(manifests.last)
        #expect(saved.partitions.isEmpty && saved.objects.isEmpty)
        #expect(saved.consumerGroupOffsets == [ManifestGroupOffset(group: "billing", topic: topic, partition: 0, offset: 4)])
        #expect(saved.topics == [ManifestTopic(name: topic, partitionCount: 2)])
        #expect(manifests.continuityProblems().isEmpty)
        #expect(try await BackupEngine.run(request).manifestKey == nil)

        // A partition count that moved counts as changed; configs this run could not read do not.
        let grown = [ManifestTopic(name: topic, partitionCount: 3)]
        #expect(await QuietRunFacts.changed(topics: grown, groupOffsets: [], last: saved.runId, store: store, layout: fixture.layout))
        let described = [ManifestTopic(name: topic, partitionCount: 2, configs: ["retention.ms": "1"])]
        #expect(await QuietRunFacts.changed(topics: described, groupOffsets: [], last: saved.runId, store: store, layout: fixture.layout))
        var unread = described
        unread[0].configs = [:]
        #expect(!(await QuietRunFacts.changed(topics: unread, groupOffsets: [], last: saved.runId, store: store, layout: fixture.layout)))
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
