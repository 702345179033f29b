import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// A restore stopped at any moment and run again ends with every record exactly once, in order,
/// without headers added to the records.
@Suite struct ResumeTests {
    func source() -> [Int32: [RecordFormats.KafkaRecord]] {
        [0: awkwardRecords(count: 40, partition: 0), 1: awkwardRecords(count: 33, partition: 1), 2: awkwardRecords(count: 27, partition: 2)]
    }

    /// A rerun killed while it still passes over the records the target already held saves a state
    /// whose count and next offset agree (it wrote the target's count beside the old offset, which a
    /// later rerun of a pruned partition misplaced).
    @Test func aStateSavedWhilePassingHeldRecordsKeepsCountAndOffsetTogether() async throws {
        let (cluster, fixture, records) = try await eventsSetup()
        var options = mockOptions(cluster)
        options.stateInterval = 0
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 7).summary.line }
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 1).summary.line }
        let listed = try await fixture.store.list(prefix: fixture.layout.restoreFolder).objects
        let key = try #require(listed.first { $0.key.hasSuffix("/events.json") }?.key)
        let progress = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        // Offsets are dense from 0 here: n records confirmed means offset n comes next.
        for state in progress.partitions {
            #expect(state.nextSourceOffset == state.deliveredRecords, "\(state)")
        }
        _ = try await restore(fixture, mockOptions(cluster))
        try expectTargetHolds(records, cluster: cluster, topic: "events")
    }

    /// A restore with no state of its own (another copy of the store, another --state-dir) into
    /// targets that already hold records warns that it appends after them, in its dry run and run;
    /// one into empty targets does not.
    @Test func aFreshRestoreIntoNonEmptyTargetsWarnsItAppends() async throws {
        let (cluster, fixture, _) = try await eventsSetup()
        let first = try await restore(fixture, mockOptions(cluster))
        #expect(!first.summary.warnings.contains { $0.contains("already holds records") }, "\(first.summary.warnings)")
        var elsewhere = mockOptions(cluster)
        elsewhere.stateDirectory = try KtapeProcess.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: elsewhere.stateDirectory ?? "") }
        let expected =
            "target topic events already holds records that no state of this restore accounts for (partitions 0, 1, 2); they are kept and the restored records go after them"
        var dry = elsewhere
        dry.dryRun = true
        try FileManager.default.createDirectory(atPath: elsewhere.stateDirectory ?? "", withIntermediateDirectories: true)
        #expect(try await restore(fixture, dry).plan.warnings.contains { $0.hasPrefix(expected) })
        let second = try await restore(fixture, elsewhere)
        #expect(second.summary.warnings.contains { $0.hasPrefix(expected) }, "\(second.summary.warnings)")
        #expect(second.summary.producedRecords == 100)
    }

    /// A store holding `source()` as topic `events` in objects of 5 records, and a cluster whose
    /// `events` topic has its 3 partitions, empty.
    func eventsSetup(store: any ObjectStore = MemoryStore(name: "memory://fixture"), perObject: Int = 5, brokers: Int = 1)
        async throws -> (cluster: KafkaMockCluster, fixture: StoreFixture, records: [Int32: [RecordFormats.KafkaRecord]])
    {
        let cluster = try KafkaMockCluster(brokers: brokers)
        let fixture = StoreFixture(store: store)
        let records = source()
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 3], perObject: perObject)
        try cluster.createTopic("events", partitions: 3)
        return (cluster, fixture, records)
    }

    /// `stateInterval` 0 saves state after every batch; a huge one saves only the starting point, so
    /// the rerun must count the records already delivered from the target itself.
    @Test(arguments: [0.0, 10_000.0], [7, 45])
    func killedRestoreResumesWithoutDuplicates(stateInterval: Double, stopAfter: Int) async throws {
        let (cluster, fixture, records) = try await eventsSetup()

        var killed = mockOptions(cluster)
        killed.stateInterval = stateInterval
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed, killedAfter: stopAfter).summary.line }
        let partial = try readTarget(cluster.config, topic: "events", partitions: 3).values.reduce(0) { $0 + $1.count }
        #expect(partial == stopAfter)

        let resumed = try await restore(fixture, mockOptions(cluster))
        #expect(resumed.summary.alreadyPresentRecords == Int64(partial))
        #expect(resumed.summary.producedRecords == Int64(100 - partial))
        try expectTargetHolds(records, cluster: cluster, topic: "events")
    }

    /// The state is the cluster's, not the bootstrap list's: a finished restore run again through
    /// one broker of the three (another spelling of the same cluster) produces nothing. Before, the
    /// rerun found no state under its spelling and produced every record a second time.
    @Test(arguments: [false, true])
    func aRerunThroughAnotherBootstrapListProducesNothing(inStateDirectory: Bool) async throws {
        let (cluster, fixture, records) = try await eventsSetup(brokers: 3)
        let directory = inStateDirectory ? NSTemporaryDirectory() + "ktape-state-" + UUID().uuidString : nil
        var options = mockOptions(cluster)
        options.stateDirectory = directory
        #expect(try await restore(fixture, options).summary.producedRecords == 100)

        var respelled = mockOptions(cluster, bootstrap: String(try #require(cluster.bootstrapServers.split(separator: ",").last)))
        respelled.stateDirectory = directory
        #expect(respelled.bootstrapName != options.bootstrapName)
        let rerun = try await restore(fixture, respelled)
        #expect(rerun.summary.producedRecords == 0)
        #expect(rerun.summary.alreadyPresentRecords == 100)
        try expectTargetHolds(records, cluster: cluster, topic: "events")
        // Named the same inside a state directory as in the store.
        let states: any ObjectStore = try directory.map { try LocalDirectoryStore(root: $0) } ?? fixture.store
        let layout = directory == nil ? fixture.layout : StoreLayout(prefix: "", topicsDir: fixture.layout.topicsDir)
        #expect(try await states.exists(layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "events")))
    }

    /// A store whose state an earlier version saved under the bootstrap list's name: the restore
    /// resumes from it (and a dry run reads it too), writes its state under the cluster's id from
    /// then on, leaves the old document for older versions, and a rerun produces nothing.
    @Test func stateSavedUnderTheBootstrapListIsResumedFrom() async throws {
        let (cluster, fixture, records) = try await eventsSetup()
        var killed = mockOptions(cluster)
        killed.stateInterval = 0
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed, killedAfter: 30).summary.line }
        let partial = try readTarget(cluster.config, topic: "events", partitions: 3).values.reduce(0) { $0 + $1.count }
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "events")
        let oldKey = fixture.layout.restoreStateKey(targetCluster: killed.bootstrapName, topic: "events")
        #expect(key != oldKey)
        try await fixture.store.put(oldKey, body: try await fixture.store.get(key))
        try await fixture.store.delete(key)

        var dryRun = mockOptions(cluster)
        dryRun.dryRun = true
        #expect(try await restore(fixture, dryRun).summary.alreadyPresentRecords == Int64(partial))
        let resumed = try await restore(fixture, mockOptions(cluster))
        #expect(resumed.summary.alreadyPresentRecords == Int64(partial))
        #expect(resumed.summary.producedRecords == Int64(100 - partial))
        try expectTargetHolds(records, cluster: cluster, topic: "events")
        let document = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        #expect(document.partitions.map(\.deliveredRecords).reduce(0, +) == 100)
        #expect(try await fixture.store.exists(oldKey))
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 0)
    }

    /// A topic's partitions share one state document, written before the first is produced, every
    /// `stateInterval` and at the end: after the run it lists every partition (70 of them), each
    /// with all its records delivered, and a rerun adds nothing and leaves it as it was.
    @Test func everyPartitionEndsWithItsFinalState() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let partitions: Int32 = 70
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for p in 0..<partitions { records[p] = awkwardRecords(count: Int(p % 4) + 1, partition: p) }
        try await fixture.writeRun(["events": records], partitionCounts: ["events": partitions], perObject: 2)
        try cluster.createTopic("events", partitions: partitions)
        let options = mockOptions(cluster)
        let first = try await restore(fixture, options)
        #expect(first.summary.producedRecords == Int64(records.values.reduce(0) { $0 + $1.count }))
        let target = try targetName(cluster.config)
        let key = fixture.layout.restoreStateKey(targetCluster: target, topic: "events")
        #expect(
            try await fixture.store.listAll(prefix: fixture.layout.restoreStateFolder(targetCluster: target)).map(\.key) == [
                key
            ])
        let written = try await fixture.store.get(key)
        let progress = try RestoreProgress.decode(Data(written), name: key)
        #expect(progress.targetTopic == "events")
        #expect(progress.partitions.map(\.partition) == Array(0..<partitions))
        for state in progress.partitions {
            let p = state.partition
            let count = Int64(records[p]?.count ?? 0)
            #expect(state.deliveredRecords == count && state.plannedRecords == count, "partition \(p)")
            #expect(state.nextSourceOffset == (records[p]?.last?.offset ?? -1) + 1, "partition \(p)")
            #expect(state.sourceTopic == "events" && state.baseTargetOffset == 0, "partition \(p)")
        }
        let again = try await restore(fixture, options)
        #expect(again.summary.producedRecords == 0)
        #expect(again.summary.alreadyPresentRecords == first.summary.producedRecords)
        #expect(try await fixture.store.get(key) == written)
    }

    /// A restore begun by an older ktape (one version 1 document per partition) resumes from those
    /// documents without duplicates, and replaces them with the topic's document.
    @Test func resumesFromVersion1States() async throws {
        let (cluster, fixture, records) = try await eventsSetup()
        var killed = mockOptions(cluster)
        killed.stateInterval = 10_000
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed, killedAfter: 45).summary.line }
        let options = mockOptions(cluster)
        let target = try targetName(cluster.config)
        let key = fixture.layout.restoreStateKey(targetCluster: target, topic: "events")
        try await fixture.rewriteAsVersion1(targetCluster: target, topic: "events")
        // Another topic's version 1 document is left alone.
        let otherKey = fixture.layout.restoreStateVersion1Key(targetCluster: target, topic: "other", partition: 0)
        try await fixture.store.put(otherKey, body: Array("{}".utf8))

        let resumed = try await restore(fixture, options)
        #expect(resumed.summary.alreadyPresentRecords == 45)
        #expect(resumed.summary.producedRecords == 55)
        try expectTargetHolds(records, cluster: cluster, topic: "events")
        let left = try await fixture.store.listAll(prefix: fixture.layout.restoreStateFolder(targetCluster: target)).map(
            \.key)
        #expect(Set(left) == [key, otherKey])
        #expect(
            try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key).partitions.map(\.deliveredRecords) == [40, 33, 27]
        )
    }

    /// Saved states of partitions a restore does not plan (here one the topic's document lists
    /// beside the three restored) are kept in every write of the document. Here the objects are
    /// read in 1,000-byte chunks at 20 ms a read and state writes take 100 ms, with a round after
    /// every batch, so the run is killed while a round is being written: it returns only once that
    /// write has landed, and nothing overwrites the document edited after it (before this check,
    /// a write landing 100 ms after the kill did, and the rerun 300 ms later lost partition 9).
    @Test func statesOfUnplannedPartitionsAreKept() async throws {
        let slow = SlowStore(slowPrefix: "backups/_ktape/restore/", putDelay: .milliseconds(100), getDelay: .milliseconds(20))
        let (cluster, fixture, _) = try await eventsSetup(store: slow, perObject: 40)
        var killed = mockOptions(cluster)
        killed.chunkSize = 1000
        killed.stateInterval = 0
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed, killedAfter: 20).summary.line }
        let target = try targetName(cluster.config)
        let key = fixture.layout.restoreStateKey(targetCluster: target, topic: "events")
        #expect(key.hasPrefix(slow.slowPrefix))
        var document = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        let elsewhere = RestoreProgress.Partition(
            partition: 9, sourceTopic: "events", nextSourceOffset: 5, configHash: "x",
            baseTargetOffset: 2, deliveredRecords: 3, plannedRecords: 4,
            updatedAt: Date(timeIntervalSince1970: 1_795_000_000))
        document.partitions.append(elsewhere)
        try await slow.base.put(key, body: Array(try document.encoded()))
        try await Task.sleep(for: .milliseconds(300))

        let resumed = try await restore(fixture, mockOptions(cluster))
        #expect(resumed.summary.producedRecords == 80)
        let after = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        #expect(after.partitions.map(\.partition) == [0, 1, 2, 9])
        #expect(after.partitions.map(\.deliveredRecords) == [40, 33, 27, 3])
        #expect(after.partitions.last == elsewhere)
    }

    /// Records another producer put into the target after the restore began are not mistaken for
    /// the restore's own: the rerun stops, naming the partition.
    @Test func foreignRecordInTargetIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        try await fixture.writeRun(["events": [0: awkwardRecords(count: 30, partition: 0)]], partitionCounts: ["events": 1], perObject: 5)
        try cluster.createTopic("events", partitions: 1)
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, mockOptions(cluster), killedAfter: 6).summary.line }
        let producer = try KafkaProducer(config: cluster.config, onDelivery: { _ in })
        try producer.produce(KafkaProducerRecord(topic: "events", partition: 0, key: Array("intruder".utf8), value: []), id: 0)
        try producer.flush(timeoutMilliseconds: 10_000)

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.message.contains("events/0") == true)
        #expect(error?.message.contains("another producer") == true)
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "events")
        #expect(
            error?.message.hasSuffix(
                "To restore it again, delete and re-create events in the target (what it holds would be written twice), then remove partition 0's entry from \(key) (or the file, for all of events)"
            ) == true)
    }

    /// A damaged state document stops the restore before anything is produced, naming it.
    @Test func damagedStateDocumentIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        try await fixture.writeRun(["events": [0: awkwardRecords(count: 10, partition: 0)]], partitionCounts: ["events": 1])
        try cluster.createTopic("events", partitions: 1)
        let options = mockOptions(cluster)
        let target = try targetName(cluster.config)
        let key = fixture.layout.restoreStateKey(targetCluster: target, topic: "events")
        try await fixture.store.put(key, body: Array(#"{"format": "ktape-restore-progress", "version": 2, "targetTopic": "events"}"#.utf8))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message
                == "restore state \(key): missing field .updatedAt; to restore events from the start, delete and re-create it in the target (what it holds would be written twice), then remove this file"
        )
        #expect(try readTarget(cluster.config, topic: "events", partitions: 1)[0]?.count ?? 0 == 0)
    }

    /// Resume state written under other settings (here: another time range) is not resumed.
    @Test func stateFromOtherSettingsIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 10, partition: 0)
        try await fixture.writeRun(["events": [0: records]], partitionCounts: ["events": 1])
        try cluster.createTopic("events", partitions: 1)
        try await restore(fixture, mockOptions(cluster))
        var other = mockOptions(cluster)
        other.fromTime = records[3].timestamp
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, other).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("other settings") == true)
        #expect(try readTarget(cluster.config, topic: "events", partitions: 1)[0]?.count == 10)
    }
}
