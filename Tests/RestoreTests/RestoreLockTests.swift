import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// One restore per target topic: a lease beside the resume state, taken before any topic is created
/// or record produced.
@Suite struct RestoreLockTests {
    func setup(store: any ObjectStore, brokers: Int = 1) async throws -> (
        KafkaMockCluster, StoreFixture, [Int32: [RecordFormats.KafkaRecord]]
    ) {
        let cluster = try KafkaMockCluster(brokers: brokers)
        let fixture = StoreFixture(store: store)
        let records: [Int32: [RecordFormats.KafkaRecord]] = [
            0: awkwardRecords(count: 30, partition: 0), 1: awkwardRecords(count: 25, partition: 1)
        ]
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 2], perObject: 2)
        try cluster.createTopic("events", partitions: 2)
        return (cluster, fixture, records)
    }

    /// Two restores into one target at once: the second is refused before it produces anything, and
    /// the first alone fills the target, every record once. `respelled`: the second reaches the
    /// cluster through one of its three brokers, the first through all (before, each took a lease
    /// under its own spelling and every record landed twice).
    @Test(arguments: [false, true])
    func aSecondRestoreIntoTheSameTargetIsRefusedBeforeProducing(respelled: Bool) async throws {
        // Slow state writes (the first comes before any record is produced) keep the first restore
        // going while the second starts.
        let slow = SlowStore(slowPrefix: "backups/_ktape/restore/", putDelay: .seconds(3), getDelay: .zero)
        let (cluster, fixture, records) = try await setup(store: slow, brokers: respelled ? 3 : 1)
        let options = mockOptions(cluster)
        let lockKey = fixture.layout.restoreLockKey(targetCluster: try targetName(cluster.config))
        let first = Task { try await restore(fixture, options) }
        // Wait until the first holds its lease (generous: a loaded machine starves the test's threads).
        let deadline = Date().addingTimeInterval(120)
        while !(try await slow.base.exists(lockKey)), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let before = try readTarget(cluster.config, topic: "events", partitions: 2).values.reduce(0) { $0 + $1.count }

        var second = respelled ? mockOptions(cluster, bootstrap: String(cluster.bootstrapServers.split(separator: ",")[0])) : options
        second.holder = "otherhost pid 2"
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, second) }
        #expect(error?.isInvalidInput == false)
        let message = error?.message ?? ""
        #expect(message.contains("another restore is running into it: topic events is held by restore"), "\(message)")
        #expect(message.contains(lockKey), "\(message)")

        let done = try await first.value
        #expect(done.summary.producedRecords == 55)
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        for p: Int32 in 0..<2 { #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)") }
        #expect(before < 55, "the first restore had finished before the second started; the test proves nothing")
        // The lease is gone once the first restore ends.
        #expect(try await slow.base.holdsNoLease(lockKey))
    }

    /// ktape before cluster ids leased under the bootstrap-named key and never reads the cluster's:
    /// a live lease of such a restore on the target topic keeps this one out (before, both wrote
    /// every record); an expired one, or one on another topic, does not.
    @Test func aLiveLeaseOfAnEarlierKtapeUnderTheBootstrapNameKeepsARestoreOut() async throws {
        let (cluster, fixture, _) = try await setup(store: MemoryStore(name: "memory://fixture"))
        var options = mockOptions(cluster)
        options.holder = "thishost pid 4"
        let legacyKey = fixture.layout.restoreLockKey(targetCluster: options.bootstrapName)
        func lease(topic: String, expiresIn seconds: TimeInterval) throws -> [UInt8] {
            let now = Date()
            return Array(
                try LeaseTable(leases: [
                    LeaseTable.Lease(
                        runId: "restore-old", command: "restore", job: nil, holder: "otherhost pid 3",
                        claims: [LeaseTable.Claim(topic: topic)], acquiredAt: now, expiresAt: now.addingTimeInterval(seconds))
                ]).encoded())
        }
        try await fixture.store.put(legacyKey, body: try lease(topic: "events", expiresIn: 600))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options) }
        #expect(error?.isInvalidInput == false)
        #expect(
            error?.message.contains("another restore is running into events: \(legacyKey), the lease of an earlier ktape") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2).values.allSatisfy(\.isEmpty))
        // Its own lease was let go.
        let own = fixture.layout.restoreLockKey(targetCluster: try targetName(cluster.config))
        #expect(try await fixture.store.holdsNoLease(own))

        try await fixture.store.put(legacyKey, body: try lease(topic: "payments", expiresIn: 600))
        #expect(try await restore(fixture, options).summary.producedRecords == 55)
    }

    /// A restore into other topics of the same cluster is not held up.
    @Test func restoresIntoOtherTopicsRunSideBySide() async throws {
        let (cluster, fixture, _) = try await setup(store: MemoryStore(name: "memory://fixture"))
        var options = mockOptions(cluster)
        let lockKey = fixture.layout.restoreLockKey(targetCluster: try targetName(cluster.config))
        let now = Date()
        let other = LeaseTable(leases: [
            LeaseTable.Lease(
                runId: "other", command: "restore", job: nil, holder: "otherhost pid 3",
                claims: [LeaseTable.Claim(topic: "payments")], acquiredAt: now,
                expiresAt: now.addingTimeInterval(600))
        ])
        try await fixture.store.put(lockKey, body: Array(try other.encoded()))
        options.holder = "thishost pid 4"
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 55)
        #expect(try LeaseTable.decode(Data(try await fixture.store.get(lockKey)), name: lockKey).leases.map(\.runId) == ["other"])
    }

    /// With `--state-dir` the lease lives there, beside the state.
    @Test func theLeaseLivesBesideTheStateDirectory() async throws {
        let (cluster, fixture, _) = try await setup(store: MemoryStore(name: "memory://fixture"))
        let directory = NSTemporaryDirectory() + "ktape-state-" + UUID().uuidString
        var options = mockOptions(cluster)
        options.stateDirectory = directory
        let key = StoreLayout().restoreLockKey(targetCluster: try targetName(cluster.config))
        let now = Date()
        let held = LeaseTable(leases: [
            LeaseTable.Lease(
                runId: "held", command: "restore", job: "j", holder: "otherhost pid 5",
                claims: [LeaseTable.Claim(topic: "events")], acquiredAt: now,
                expiresAt: now.addingTimeInterval(600))
        ])
        try await LocalDirectoryStore(root: directory).put(key, body: Array(try held.encoded()))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options) }
        #expect(error?.message.contains("restore of job j by otherhost pid 5") == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2).values.allSatisfy(\.isEmpty))
    }

    /// A lock that is not ktape's JSON is named once, exit 2 (a rerun does not cure it), and nothing
    /// is produced.
    @Test func aLockKtapeCannotReadStopsTheRestoreNamingItOnce() async throws {
        let (cluster, fixture, _) = try await setup(store: MemoryStore(name: "memory://fixture"))
        let lockKey = fixture.layout.restoreLockKey(targetCluster: try targetName(cluster.config))
        try await fixture.store.put(lockKey, body: Array("garbage\n".utf8))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)) }
        #expect(error?.kind == .invalidInput)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("lock \(lockKey): not a JSON object"), "\(message)")
        #expect(message.components(separatedBy: lockKey).count == 2, "\(message)")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2).values.allSatisfy(\.isEmpty))
    }
}
