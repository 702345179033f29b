import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore
import JobSpec

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
        #expect(caughtUp.line.hasSuffix("(no new records: changed topics, group offsets or empty partitions' offsets saved)"))
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
            await SavedFacts.changes(
                topics: topics, groupOffsets: [], scope: nil, runs: manifests.map(\.runId).sorted(), store: store, layout: fixture.layout,
                warn: { _ in }
            )
            .topics
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

    /// A saved offset this run did not find is a candidate for removal only inside what the run
    /// looked at (its partitions, its selection, not its own group, not a group it failed to read),
    /// and only while its newest saved entry is an offset. One found now whose newest entry is a
    /// removal is saved again. The walk reads one run past `lookBack` for them.
    @Test func vanishedOffsetsAreThoseInScopeWhoseNewestEntryIsAnOffset() async throws {
        let store = MemoryStore()
        let layout = StoreLayout()
        func key(_ group: String, _ topic: String = "t", _ partition: Int32 = 0) -> ManifestGroupPartition {
            ManifestGroupPartition(group: group, topic: topic, partition: partition)
        }
        func offset(_ name: ManifestGroupPartition, _ value: Int64) -> ManifestGroupOffset {
            ManifestGroupOffset(group: name.group, topic: name.topic, partition: name.partition, offset: value)
        }
        var previous: RunID?
        var ids: [RunID] = []
        var written = 0
        func run(_ saved: [ManifestGroupOffset] = [], removed: [ManifestGroupPartition] = []) async throws {
            let id = RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(written)), shard: "all", randomSuffix: 7)
            let manifest = RunManifest(
                runId: id, previousRunId: previous, job: "j", shard: "all", startedAt: Date(), finishedAt: Date(),
                store: ManifestStoreSettings(topicsDir: "topics", format: .envelope, compression: .none), configHash: "h",
                consumerGroupOffsets: saved, removedGroupOffsets: removed)
            try await store.put(layout.runManifestKey(id), body: try manifest.encodedBytes(layout: layout))
            previous = id
            ids.append(id)
            written += 1
        }
        let outOfScope = [key("g-other-topic", "u"), key("own"), key("failed"), key("unselected")]
        // The oldest run, 17 back from the newest: read only for removals.
        try await run([offset(key("g-deep"), 1), offset(key("g-deep-present"), 1)])
        try await run(
            [offset(key("g-kept"), 1), offset(key("g-removed"), 2), offset(key("g-gone", "t", 1), 3)] + outOfScope.map { offset($0, 1) })
        try await run([offset(key("g-kept"), 5)], removed: [key("g-removed"), key("g-back")])
        for _ in 0..<14 { try await run() }

        let scope = ClusterFacts.GroupScope(
            partitions: [TopicPartition("t", 0), TopicPartition("t", 1)], selection: .regex(try WholeNameRegex("g-.*|own|failed")),
            own: "own", failed: ["failed"])
        let now = [offset(key("g-kept"), 5), offset(key("g-back"), 9), offset(key("g-deep-present"), 1)]
        var warnings: [String] = []
        let changes = await SavedFacts.changes(
            topics: [], groupOffsets: now, scope: scope, runs: ids, store: store, layout: layout, warn: { warnings.append($0) })
        #expect(changes.vanished == [key("g-gone", "t", 1), key("g-deep")])
        #expect(changes.groupOffsets == [offset(key("g-back"), 9), offset(key("g-deep-present"), 1)])
        let unscoped = await SavedFacts.changes(
            topics: [], groupOffsets: now, scope: nil, runs: ids, store: store, layout: layout, warn: { warnings.append($0) })
        #expect(unscoped.vanished.isEmpty && unscoped.groupOffsets == changes.groupOffsets)
        #expect(warnings.isEmpty)

        // A damaged manifest ends the walk with a warning: what only it and older ones held is saved again.
        try await store.put(layout.runManifestKey(ids[2]), body: Array("{\"format\":".utf8))
        let cut = await SavedFacts.changes(
            topics: [], groupOffsets: now, scope: scope, runs: ids, store: store, layout: layout, warn: { warnings.append($0) })
        #expect(cut.vanished.isEmpty && cut.groupOffsets == now)
        #expect(warnings.count == 1 && warnings.first?.contains(layout.runManifestKey(ids[2])) == true, "\(warnings)")
    }

    /// Shards run side by side: both runs name the same run before, so walking `previousRunId` from
    /// the newest skipped the other. Its removal of a group that was made again with its old offset
    /// was then the newest entry a restore took (no offset committed for a live group), while the
    /// walk found the old offset and saved nothing. The walk goes by run id, as a restore does.
    @Test func runsThatOverlappedAreAllWalked() async throws {
        let store = MemoryStore()
        let layout = StoreLayout()
        let offset = ManifestGroupOffset(group: "g", topic: "t", partition: 1, offset: 2)
        let first = RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_000), shard: "1/2", randomSuffix: 1)
        let (sibling, newest) = (
            RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_100), shard: "1/2", randomSuffix: 2),
            RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_101), shard: "0/2", randomSuffix: 3)
        )
        for (id, saved, removed) in [
            (first, [offset], []), (sibling, [], [ManifestGroupPartition(offset)]), (newest, [], [] as [ManifestGroupPartition])
        ] {
            let manifest = RunManifest(
                runId: id, previousRunId: id == first ? nil : first, job: "j", shard: "s", startedAt: Date(), finishedAt: Date(),
                store: ManifestStoreSettings(topicsDir: "topics", format: .envelope, compression: .none), configHash: "h",
                consumerGroupOffsets: saved, removedGroupOffsets: removed)
            try await store.put(layout.runManifestKey(id), body: try manifest.encodedBytes(layout: layout))
        }
        let changes = await SavedFacts.changes(
            topics: [], groupOffsets: [offset], scope: nil, runs: [first, sibling, newest], store: store, layout: layout, warn: { _ in })
        #expect(changes.groupOffsets == [offset])
    }

    /// Of the vanished offsets, a group read this run has none where it returned none; a group not
    /// listed is asked, and only the partitions its coordinator has no offset on are removed.
    @Test func removedOffsetsAreThoseTheCoordinatorHasNot() throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("asked", partitions: 2)
        let admin = try KafkaAdmin(config: fixture.kafka)
        let (p0, p1) = (TopicPartition(topic: topic, partition: 0), TopicPartition(topic: topic, partition: 1))
        try admin.commitOffsets(group: "alive", offsets: [p0: 2])
        let vanished = [("read", p0), ("alive", p0), ("alive", p1), ("never", p1)].map {
            ManifestGroupPartition(group: $0.0, topic: $0.1.topic, partition: $0.1.partition)
        }
        let scope = ClusterFacts.GroupScope(partitions: [p0, p1], selection: nil, own: nil, read: ["read"])
        let removed = ClusterFacts.removed(vanished, scope: scope, admin: admin, timeoutMilliseconds: 10_000)
        #expect(removed == [vanished[2], vanished[3], vanished[0]])
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
