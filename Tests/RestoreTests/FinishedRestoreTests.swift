import Checksums
import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// Re-running a restore that finished: the resume state says every partition is done, so the rerun
/// reads no data object; it costs the listing and a few requests per target topic.
@Suite struct FinishedRestoreTests {
    @Test func rerunningAFinishedRestoreReadsNoObject() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = CountingStore()
        let fixture = StoreFixture(store: store)
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for partition in Int32(0)..<100 { records[partition] = awkwardRecords(count: 4, partition: partition) }
        try await fixture.writeRun(["wide": records], partitionCounts: ["wide": 100], perObject: 2)
        try cluster.createTopic("wide", partitions: 100)
        var options = mockOptions(cluster)
        options.stateDirectory = nil
        let first = try await restore(fixture, options)
        #expect(first.summary.producedRecords == 400)

        store.reset()
        let rerun = try await restore(fixture, options)
        #expect(rerun.summary.producedRecords == 0)
        #expect(rerun.summary.alreadyPresentRecords == 400)
        // Before: 206 GETs and 200 HEADs, every object opened again to skip its records.
        #expect(!store.gets.contains { $0.contains("/topics/") }, "\(store.gets)")
        #expect(store.byVerb["head"] == nil)
        #expect(store.requests <= 12, "\(store.byVerb)")
    }

    /// A killed restore's rerun reads its partition from the object with the target's last record
    /// (compared with it), not the objects before: a long restore's rerun does not download them
    /// again, and a prune removing them meanwhile cannot stop it.
    @Test func aRerunReadsFromTheObjectWithTheTargetsLastRecord() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = CountingStore()
        let fixture = StoreFixture(store: store)
        let records = awkwardRecords(count: 24, partition: 0)
        let manifest = try await fixture.writeRun(["t": [0: records]], partitionCounts: ["t": 1], perObject: 4)
        try cluster.createTopic("t", partitions: 1)
        var options = mockOptions(cluster)
        options.stateDirectory = nil
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 14).summary.line }
        let held = try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count ?? 0
        try #require(held >= 14 && held < 24)

        store.reset()
        let rerun = try await restore(fixture, options)
        #expect(rerun.summary.producedRecords == Int64(24 - held))
        let objects = manifest.objects(topic: "t", partition: 0).map(\.key)
        let read = Set(store.gets.filter { $0.contains("topics/") })
        let expected = objects[((held - 1) / 4)...]
        #expect(read.count == expected.count && expected.allSatisfy { key in read.contains { $0.hasSuffix(key) } }, "\(read)")
        let got = try readTarget(cluster.config, topic: "t", partitions: 1)
        #expect(differences(expected: records, got: got[0] ?? []) == [])
    }

    /// A later backup run adds records: the rerun restores exactly those, reading the partitions
    /// that grew and not the others.
    @Test func aRerunAfterANewBackupRunRestoresOnlyTheNewRecords() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = CountingStore()
        let fixture = StoreFixture(store: store)
        let all = (0..<4).map { awkwardRecords(count: 6, partition: Int32($0)) }
        try await fixture.writeRun(
            ["t": Dictionary(uniqueKeysWithValues: (0..<4).map { (Int32($0), Array(all[$0].prefix(4))) })],
            partitionCounts: ["t": 4], perObject: 2)
        try cluster.createTopic("t", partitions: 4)
        var options = mockOptions(cluster)
        options.stateDirectory = nil
        #expect(try await restore(fixture, options).summary.producedRecords == 16)

        try await fixture.writeRun(["t": [1: Array(all[1].suffix(2))]], partitionCounts: ["t": 4], perObject: 2)
        store.reset()
        let rerun = try await restore(fixture, options)
        #expect(rerun.summary.producedRecords == 2)
        #expect(rerun.summary.alreadyPresentRecords == 16)
        let read = Set(store.gets.filter { $0.contains("/topics/") }.map { $0.contains("partition=1/") })
        #expect(read == [true], "\(store.gets)")
        let got = try readTarget(cluster.config, topic: "t", partitions: 4)
        for partition in 0..<4 {
            let expected = partition == 1 ? all[1] : Array(all[partition].prefix(4))
            #expect(differences(expected: expected, got: got[Int32(partition)] ?? []) == [])
        }
    }

    /// A partition whose last restored record has a time of 0 or below (which librdkafka replaces
    /// with the time of restore) still resumes: the rerun after a new backup run checks that record
    /// by its key and value, and restores only the new records.
    @Test(arguments: [Int64(0), -5])
    func aLastRecordWithATimeTheProducerCannotKeepStillResumes(time: Int64) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        var all = awkwardRecords(count: 6, partition: 0)
        all[3].timestamp = time
        all[3].timestampType = .createTime
        try await fixture.writeRun(["t": [0: Array(all.prefix(4))]], partitionCounts: ["t": 1], perObject: 2)
        try cluster.createTopic("t", partitions: 1)
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 4)

        try await fixture.writeRun(["t": [0: Array(all.suffix(2))]], partitionCounts: ["t": 1], perObject: 2)
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.producedRecords == 2)
        #expect(rerun.summary.alreadyPresentRecords == 4)
        let got = try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []
        #expect(got.map(\.value) == all.map(\.value))
    }

    /// Naming a topic with a regex that takes every file (`t:.*`, as Confluent's examples do) is the
    /// same restore as naming none: the rerun resumes instead of refusing the state as another's.
    @Test func aRegexTakingEveryFileIsTheSameRestoreAsNone() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        try await fixture.writeRun(["t": [0: awkwardRecords(count: 4, partition: 0)]], partitionCounts: ["t": 1], perObject: 2)
        try cluster.createTopic("t", partitions: 1)
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 4)
        var named = mockOptions(cluster)
        named.topicRegexList = try TopicRegexList(parsing: "t:.*")
        let rerun = try await restore(fixture, named)
        #expect(rerun.summary.producedRecords == 0)
        #expect(rerun.summary.alreadyPresentRecords == 4)
        named.topicRegexList = try TopicRegexList(parsing: "t:t\\+0\\+.*")
        await #expect(throws: RunFailure.self) { try await restore(fixture, named).summary.line }

        // A state an earlier ktape wrote with `t:.*` (hashed as written) is still resumed from.
        let stateKey = try #require(
            try await fixture.store.list(prefix: "backups/_ktape/restore/").objects.first { $0.key.hasSuffix("/t.json") }?.key)
        var progress = try RestoreProgress.decode(Data(try await fixture.store.get(stateKey)), name: stateKey)
        let written = ["source=t/0", "target=t/0", "files=.*", "from-time=", "to-time=", "as-of="].joined(separator: "\n")
        progress.partitions[0].configHash = Digest.hex(Digest.sha256(Array(written.utf8)))
        try await fixture.store.put(stateKey, body: Array(try progress.encoded()))
        named.topicRegexList = try TopicRegexList(parsing: "t:.*")
        #expect(try await restore(fixture, named).summary.alreadyPresentRecords == 4)
    }
}
