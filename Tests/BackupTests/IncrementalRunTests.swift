import Failures
import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Each run continues where the manifests say the last one stopped.
@Suite struct IncrementalRunTests {
    /// A store of 30 records of a topic from one cluster, then a run reading a topic of the same
    /// name from `next` (another cluster, standing in for a topic deleted and created again): that
    /// run must stop before writing anything. Returns the followed cluster, the topic, the store and
    /// the run's error. `forgettingIds` makes the store one written before cluster ids.
    func storeMeetingAnotherLog(
        _ next: (BackupFixture, String) throws -> Void, forgettingIds: Bool, groupMode: Bool,
        first produceFirst: ((BackupFixture, String) throws -> Void)? = nil, settings: [String: String] = [:]
    ) async throws -> (BackupFixture, String, MemoryStore, RunFailure?) {
        let first = try BackupFixture(brokers: 1)
        let topic = try first.topic("events", partitions: 1)
        if let produceFirst { try produceFirst(first, topic) } else { try first.produceJSON(topic: topic, partitions: 1, count: 30) }
        let store = MemoryStore()
        #expect(try await first.backup(store: store, topics: [topic], settings).records == 30)
        if forgettingIds { try await Self.forgetClusterIds(store) }

        let other = try BackupFixture(brokers: 1)
        try other.topic(named: topic, partitions: 1)
        try next(other, topic)
        let before = try await StoreContents.snapshot(store, prefix: "")
        // In group mode too (each member plans the partitions it is given).
        let flags = settings.merging(groupMode ? ["group-id": "g-\(UUID().uuidString.prefix(8))"] : [:]) { a, _ in a }
        let error = await #expect(throws: RunFailure.self) { try await other.backup(store: store, topics: [topic], flags) }
        #expect(error?.isInvalidInput == true)
        let after = try await StoreContents.snapshot(store, prefix: "")
        #expect(Set(after.keys.filter { !$0.hasPrefix("_ktape/locks/") }) == Set(before.keys.filter { !$0.hasPrefix("_ktape/locks/") }))
        return (first, topic, store, error)
    }

    /// A partition ending below what the store holds: the run stops before reading, instead of
    /// skipping the new records until they pass the stored offsets (its own check: no cluster ids).
    @Test(arguments: [false, true])
    func aPartitionEndingBelowTheCheckpointStopsTheRun(groupMode: Bool) async throws {
        let (_, topic, _, error) = try await storeMeetingAnotherLog(
            { other, topic in try other.produceJSON(topic: topic, partitions: 1, count: 5) }, forgettingIds: true, groupMode: groupMode)
        #expect(
            error?.message.hasPrefix(
                "topic \(topic) partition 0 ends at offset 5, but this store already holds its records up to offset 30: the topic was deleted and created again"
            ) == true, "\(error?.message ?? "")")
    }

    /// A topic with fewer partitions than the store holds records of (Kafka never removes one: it
    /// was deleted and made again) stops the run before anything is read; before, the vanished
    /// partition went unmentioned and a restore made the topic too small for its records.
    @Test(arguments: [false, true])
    func aTopicWithFewerPartitionsThanTheStoreHoldsStopsTheRun(groupMode: Bool) async throws {
        let first = try BackupFixture(brokers: 1)
        let topic = try first.topic("shrunk", partitions: 3)
        try first.produceJSON(topic: topic, partitions: 3, count: 6)
        let store = MemoryStore()
        _ = try await first.backup(store: store, topics: [topic])
        try await Self.forgetClusterIds(store)
        let other = try BackupFixture(brokers: 1)
        try other.topic(named: topic, partitions: 2)
        try other.produceJSON(topic: topic, partitions: 2, count: 20)
        let flags = groupMode ? ["group-id": "g-\(UUID().uuidString.prefix(8))"] : [:]
        let error = await #expect(throws: RunFailure.self) { try await other.backup(store: store, topics: [topic], flags) }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.hasPrefix(
                "topic \(topic) has 2 partitions, but this store holds records of its partition 2: Kafka never removes partitions, so the topic was deleted and created again"
            ) == true, "\(error?.message ?? "")")
    }

    /// Another cluster (a failover, a cluster rebuilt) whose partition has passed the store's
    /// offsets: its records would continue the old history. The followed cluster goes on.
    @Test(arguments: [false, true])
    func anotherClustersTopicOfTheSameNameStopsTheRun(groupMode: Bool) async throws {
        let (first, topic, store, error) = try await storeMeetingAnotherLog(
            { other, topic in try other.produceJSON(topic: topic, partitions: 1, count: 40) }, forgettingIds: false,
            groupMode: groupMode)
        #expect(
            error?.message.contains("topic \(topic): the store's runs read it from Kafka cluster ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("another cluster's offsets") == true)
        try first.produceJSON(topic: topic, partitions: 1, count: 5, from: 30)
        #expect(try await first.backup(store: store, topics: [topic]).records == 5)
    }

    /// A topic deleted and created again whose log has passed the checkpoint: the record before the
    /// checkpoint, read again, is not the one stored. The followed log passes the same check.
    @Test(arguments: [false, true])
    func aTopicCreatedAgainPastTheCheckpointStopsTheRun(groupMode: Bool) async throws {
        let (first, topic, store, error) = try await storeMeetingAnotherLog(
            { other, topic in try other.produceJSON(topic: topic, partitions: 1, count: 40, from: 1000) }, forgettingIds: true,
            groupMode: groupMode)
        #expect(
            error?.message.hasPrefix(
                "topic \(topic) partition 0: its record at offset 29 is not the one this store backed up there: the topic was deleted and created again"
            ) == true, "\(error?.message ?? "")")
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.partitions.first?.lastRecordCrc64nvme != nil)
        try first.produceJSON(topic: topic, partitions: 1, count: 5, from: 30)
        let flags = groupMode ? ["group-id": "g-\(UUID().uuidString.prefix(8))"] : [:]
        #expect(try await first.backup(store: store, topics: [topic], flags).records == 5)
    }

    /// A topic created again and refilled to exactly the checkpoint has nothing new by its offsets:
    /// the record before the checkpoint is compared all the same (before, every run said "no new
    /// data", exit 0, and the new topic was never backed up). The followed log, idle, passes.
    @Test(arguments: [false, true])
    func aTopicCreatedAgainUpToTheCheckpointStopsTheRun(groupMode: Bool) async throws {
        let (first, topic, store, error) = try await storeMeetingAnotherLog(
            { other, topic in try other.produceJSON(topic: topic, partitions: 1, count: 30, from: 1000) }, forgettingIds: true,
            groupMode: groupMode)
        #expect(
            error?.message.hasPrefix(
                "topic \(topic) partition 0: its record at offset 29 is not the one this store backed up there: the topic was deleted and created again"
            ) == true, "\(error?.message ?? "")")
        let flags = groupMode ? ["group-id": "g-\(UUID().uuidString.prefix(8))"] : [:]
        #expect(try await first.backup(store: store, topics: [topic], flags).records == 0)
    }

    /// A run that ended on transaction markers records where its last record is, and the next run
    /// compares that record (before, such partitions, every one an exactly-once pipeline writes,
    /// had nothing to compare). The mock cluster writes no markers: the store is made to say so.
    @Test func theLastRecordBeforeTransactionMarkersIsCompared() async throws {
        let first = try BackupFixture(brokers: 1)
        let topic = try first.topic("events", partitions: 1)
        try first.produceJSON(topic: topic, partitions: 1, count: 28)
        let store = MemoryStore()
        #expect(try await first.backup(store: store, topics: [topic]).records == 28)
        let layout = StoreLayout(prefix: "", topicsDir: "topics")
        let checksum27 = try #require(try await StoreContents.manifests(store).first?.partitions.first?.lastRecordCrc64nvme)
        try first.produceJSON(topic: topic, partitions: 1, count: 2, from: 28)
        #expect(try await first.backup(store: store, topics: [topic]).records == 2)
        // As if offsets 28 and 29 were markers after record 27.
        var manifests = try await StoreContents.manifests(store)
        manifests.sort { $0.runId < $1.runId }
        manifests[1].partitions[0].lastRecordCrc64nvme = checksum27
        manifests[1].partitions[0].lastRecordOffset = 27
        try await store.put(layout.runManifestKey(manifests[1].runId), body: Array(try manifests[1].encoded(layout: layout)))
        try await store.put(layout.indexKey, body: Array(try StoreIndex.of(manifests).encoded()))
        #expect(try StoreIndex.of(manifests).checkpoint(expectedConfigHash: manifests[1].configHash).lastRecordOffsets.count == 1)
        try await Self.forgetClusterIds(store)

        let other = try BackupFixture(brokers: 1)
        try other.topic(named: topic, partitions: 1)
        try other.produceJSON(topic: topic, partitions: 1, count: 40, from: 1000)
        let error = await #expect(throws: RunFailure.self) { try await other.backup(store: store, topics: [topic]) }
        #expect(
            error?.message.hasPrefix("topic \(topic) partition 0: its record at offset 27 is not the one this store backed up there")
                == true, "\(error?.message ?? "")")
        try first.produceJSON(topic: topic, partitions: 1, count: 5, from: 30)
        #expect(try await first.backup(store: store, topics: [topic]).records == 5)
    }

    /// A last record that confluent-json skips (a tombstone, with on-invalid-json skip) is still the
    /// one compared: its checksum is of the record, written or not.
    @Test func aSkippedLastRecordIsStillComparedByTheNextRun() async throws {
        let settings = ["format": "confluent-json", "on-invalid-json": "skip"]
        let first = try BackupFixture(brokers: 1)
        let topic = try first.topic("events", partitions: 1)
        try first.produceJSON(topic: topic, partitions: 1, count: 29)
        try first.produce([KafkaProducerRecord(topic: topic, partition: 0, key: Array("gone".utf8), value: nil)])
        let store = MemoryStore()
        #expect(try await first.backup(store: store, topics: [topic], settings).records == 29)
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.partitions.first?.lastRecordCrc64nvme != nil)
        try await Self.forgetClusterIds(store)
        let other = try BackupFixture(brokers: 1)
        try other.topic(named: topic, partitions: 1)
        try other.produceJSON(topic: topic, partitions: 1, count: 40, from: 1000)
        let error = await #expect(throws: RunFailure.self) { try await other.backup(store: store, topics: [topic], settings) }
        #expect(
            error?.message.hasPrefix("topic \(topic) partition 0: its record at offset 29 is not the one this store backed up there")
                == true, "\(error?.message ?? "")")
    }

    /// The check compares the record, not what the format keeps of it: in confluent-json (the value
    /// only) a recreated topic whose values repeat (`{}`, at the same time) differs by its keys.
    @Test func aTopicCreatedAgainIsToldByItsKeysInConfluentJSON() async throws {
        func records(_ fixture: BackupFixture, _ topic: String, _ prefix: String, _ count: Int) throws {
            try fixture.produce(
                (0..<count).map { n in
                    KafkaProducerRecord(
                        topic: topic, partition: 0, key: Array("\(prefix)\(n)".utf8), value: Array("{}".utf8), timestamp: 1_700_000_000_000)
                })
        }
        let (_, topic, _, error) = try await storeMeetingAnotherLog(
            { other, topic in try records(other, topic, "new-", 40) }, forgettingIds: true, groupMode: false,
            first: { first, topic in try records(first, topic, "old-", 30) }, settings: ["format": "confluent-json"])
        #expect(
            error?.message.hasPrefix("topic \(topic) partition 0: its record at offset 29 is not the one this store backed up there")
                == true,
            "\(error?.message ?? "")")
    }

    /// A store whose runs recorded no cluster id (written before ids were) goes on, and records it.
    @Test func aStoreWithoutClusterIdsGoesOnAndRecordsOne() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("events", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 10)
        let store = MemoryStore()
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 10)
        try await Self.forgetClusterIds(store)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3, from: 10)
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 3)
        let index = try StoreIndex.decode(Data(try await store.get("_ktape/index.json")), name: "index")
        #expect(index.clusterIds?[topic]?.isEmpty == false)
    }

    /// Rewrites every manifest without its cluster id, and the index from them: a store as ktape
    /// wrote it before cluster ids.
    static func forgetClusterIds(_ store: MemoryStore) async throws {
        let layout = StoreLayout(prefix: "", topicsDir: "topics")
        var manifests: [RunManifest] = []
        for key in try await store.listAll(prefix: layout.runsFolder).map(\.key) {
            var manifest = try RunManifest.decode(Data(try await store.get(key)), name: key, layout: layout)
            #expect(manifest.clusterId != nil)
            manifest.clusterId = nil
            try await store.put(key, body: Array(try manifest.encoded(layout: layout)))
            manifests.append(manifest)
        }
        let index = try StoreIndex.of(manifests)
        #expect(index.clusterIds == nil)
        try await store.put(layout.indexKey, body: Array(try index.encoded()))
    }

    /// A store copied, both copies backed up, then one synced back over the other (a failback):
    /// the runs of the other copy are not this store's history. Before, a backup folded them and
    /// went on, run after run exit 0, in a store every restore refused. Now it stops before writing,
    /// whether the index of the store or of the copy won the sync, or none is left; following its
    /// advice lets backups go on.
    @Test(arguments: ["kept", "removed"])
    func aForkSyncedBackIsRefusedBeforeWriting(index: String) async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("forked", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 10)
        let store = MemoryStore()
        _ = try await fixture.backup(store: store, topics: [topic])
        let copy = MemoryStore()
        for (key, bytes) in try await StoreContents.snapshot(store, prefix: "") { try await copy.put(key, body: bytes) }

        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 10)
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 5)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 15)
        #expect(try await fixture.backup(store: copy, topics: [topic]).records == 10)
        let copyRuns = Set(try await StoreContents.manifests(copy).map(\.runId)).subtracting(
            try await StoreContents.manifests(store).map(\.runId))
        // The copy's runs synced in; the store's own index kept, or removed as a way out of something else.
        for (key, bytes) in try await StoreContents.snapshot(copy, prefix: "")
        where !key.hasPrefix("_ktape/locks/") && key != "_ktape/index.json" {
            try await store.put(key, body: bytes)
        }
        if index == "removed" { try await store.delete("_ktape/index.json") }
        let before = try await StoreContents.snapshot(store, prefix: "")

        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.isInvalidInput == true)
        let message = error?.message ?? ""
        #expect(
            message.contains(index == "kept" ? "starts \(topic)/0 at offset 10, below offset 15" : "both cover \(topic)/0 offsets 10..<15"),
            "\(message)")
        #expect(message.contains("remove the other copy's run manifests and _ktape/index.json"), "\(message)")
        let after = try await StoreContents.snapshot(store, prefix: "")
        #expect(Set(after.keys.filter { !$0.hasPrefix("_ktape/locks/") }) == Set(before.keys.filter { !$0.hasPrefix("_ktape/locks/") }))

        for run in copyRuns { try await store.delete(StoreLayout().runManifestKey(run)) }
        try? await store.delete("_ktape/index.json")
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 5)
        #expect(try await StoreContents.manifests(store).continuityProblems().isEmpty)
    }

    @Test func secondRunWritesOnlyNewRecordsAndAnEmptyRunWritesNothing() async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("events", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 10)
        let store = MemoryStore()
        let first = try await fixture.backup(store: store, topics: [topic], ["flush-size": "4"])
        #expect(first.records == 10)
        let afterFirst = try await StoreContents.dataKeys(store)

        try fixture.produceJSON(topic: topic, partitions: 2, count: 6, from: 10)
        let second = try await fixture.backup(store: store, topics: [topic], ["flush-size": "4"])
        #expect(second.records == 6)
        let afterSecond = try await StoreContents.dataKeys(store)
        let added = Set(afterSecond).subtracting(afterFirst).sorted()
        #expect(added == (0..<2).map { "topics/\(topic)/partition=\($0)/\(topic)+\($0)+0000000005.ktape.json" })

        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.count == 2)
        #expect(manifests[1].previousRunId == manifests[0].runId)
        #expect(manifests[1].partitions.map(\.startOffset) == [5, 5])
        #expect(manifests.continuityProblems().isEmpty)
        // Every record once across both runs.
        var offsets: [Int32: [Int64]] = [:]
        for object in manifests.flatMap(\.objects) {
            offsets[object.partition, default: []] += try StoreContents.envelopeOffsets(try await store.get(object.key))
        }
        #expect(offsets.mapValues { $0.sorted() } == [0: Array(0..<8), 1: Array(0..<8)])

        let everything = try await StoreContents.snapshot(store, prefix: "")
        let third = try await fixture.backup(store: store, topics: [topic], ["flush-size": "4"])
        #expect(third.records == 0 && third.objects == 0)
        #expect(third.manifestKey == nil)
        #expect(try await StoreContents.snapshot(store, prefix: "") == everything)
    }

    @Test func changedFormatIsRefusedAsInvalidInput() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("hash", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = MemoryStore()
        _ = try await fixture.backup(store: store, topics: [topic])
        let error = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: store, topics: [topic], ["compression": "gzip"])
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("config hash") == true)
        // The setting is named, not only the hashes (helper-83 had to work it out from them).
        #expect(error?.message.contains("(compression: none in the store's runs, gzip in this run);") == true, "\(error?.message ?? "")")
        #expect(try await store.holdsNoLease(fixture.layout.storeLockKey))
        // One that a manifest does not record keeps the list of what the hash covers.
        let keys = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: store, topics: [topic], ["store-keys": "true", "format": "confluent-json"])
        }
        #expect(
            keys?.message.contains("(format: envelope in the store's runs, confluent-json in this run);") == true, "\(keys?.message ?? "")")
        let json = MemoryStore()
        _ = try await fixture.backup(store: json, topics: [topic], ["format": "confluent-json"])
        let hashOnly = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: json, topics: [topic], ["format": "confluent-json", "store-keys": "true"])
        }
        #expect(
            hashOnly?.message.contains("(format, compression, topics-dir, store-keys, store-headers or on-invalid-json changed)") == true,
            "\(hashOnly?.message ?? "")")
    }
}
