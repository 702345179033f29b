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
        request.clusterFactsTimeout = BackupFixture.groupOffsetsTimeout
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
        request.clusterFactsTimeout = BackupFixture.groupOffsetsTimeout
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
        func changed(_ topics: [ManifestTopic]) async -> Bool {
            await SavedFacts.changes(topics: topics, groupOffsets: [], last: saved.runId, store: store, layout: fixture.layout).topics
        }
        #expect(await changed([ManifestTopic(name: topic, partitionCount: 3)]))
        let described = [ManifestTopic(name: topic, partitionCount: 2, configs: ["retention.ms": "1"])]
        #expect(await changed(described))
        var unread = described
        unread[0].configs = [:]
        #expect(!(await changed(unread)))
    }

    /// Each run saves only the group offsets that changed since the runs before saved them (a
    /// restore takes each one's newest saved value): saving all in every run made a manifest of
    /// 100 groups x 1,000 partitions 11 MB. One that no run of the last 16 saved is saved again.
    @Test func runsSaveOnlyTheGroupOffsetsThatChanged() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("steady", partitions: 2)
        let admin = try KafkaAdmin(config: fixture.kafka)
        let (p0, p1) = (TopicPartition(topic: topic, partition: 0), TopicPartition(topic: topic, partition: 1))
        try admin.commitOffsets(group: "billing", offsets: [p0: 1, p1: 1])
        let store = MemoryStore()
        var request = try fixture.request(store: store, topics: [topic])
        request.consumerGroups = .names(["billing"])
        request.clusterFactsTimeout = BackupFixture.groupOffsetsTimeout
        var saved: [Int] = []
        for run in 0..<18 {
            try fixture.produceJSON(topic: topic, partitions: 2, count: 2, from: run * 2)
            if run == 3 { try admin.commitOffsets(group: "billing", offsets: [p1: 5]) }
            saved.append(try await BackupEngine.run(request).groupOffsets)
        }
        // Both at first, p1 when it moved, p0 once the run that saved it is more than 16 runs back.
        #expect(saved == [2, 0, 0, 1] + Array(repeating: 0, count: 13) + [1])
        var newest: [Int32: Int64] = [:]
        for manifest in try await StoreContents.manifests(store).sorted(by: { $0.runId < $1.runId }) {
            for offset in manifest.consumerGroupOffsets { newest[offset.partition] = offset.offset }
        }
        #expect(newest == [0: 1, 1: 5])
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
