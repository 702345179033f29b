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
        // The second runs inside the first's first state write: after the first took its lease, before
        // it produced a record. (A delay there instead raced the first's end on a loaded machine.)
        let second = SecondRun()
        let store = HookStore(when: { $0.contains("/_ktape/restore/") && $0.hasSuffix("/events.json") }) {
            await second.run()
        }
        let (cluster, fixture, records) = try await setup(store: store, brokers: respelled ? 3 : 1)
        let options = mockOptions(cluster)
        let lockKey = fixture.layout.restoreLockKey(targetCluster: try targetName(cluster.config))
        var secondOptions =
            respelled ? mockOptions(cluster, bootstrap: String(cluster.bootstrapServers.split(separator: ",")[0])) : options
        secondOptions.holder = "otherhost pid 2"
        second.prepare { [secondOptions] in
            let before = try readTarget(cluster.config, topic: "events", partitions: 2).values.reduce(0) { $0 + $1.count }
            let held = try await store.base.exists(lockKey)
            do {
                _ = try await restore(fixture, secondOptions)
                return (before, held, nil)
            } catch let error as RunFailure {
                return (before, held, error)
            }
        }

        let done = try await restore(fixture, options)
        let outcome = try #require(try second.outcome, "the first restore wrote no state, so the second never ran")
        #expect(outcome.before == 0, "the first restore had produced before its first state write; the test proves nothing")
        #expect(outcome.leaseHeld)
        let error = try #require(outcome.error, "the second restore was not refused")
        #expect(error.isInvalidInput == false)
        #expect(error.message.contains("another restore is running into it: topic events is held by restore"), "\(error.message)")
        #expect(error.message.contains(lockKey), "\(error.message)")

        #expect(done.summary.producedRecords == 55)
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        for p: Int32 in 0..<2 { #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)") }
        // The lease is gone once the first restore ends.
        #expect(try await store.base.holdsNoLease(lockKey))
    }

    /// The second restore of the test above, run once from the store's hook.
    // @unchecked Sendable: its mutable state is under `lock`.
    final class SecondRun: @unchecked Sendable {
        typealias Outcome = (before: Int, leaseHeld: Bool, error: RunFailure?)
        private let lock = NSLock()
        private var body: (@Sendable () async throws -> Outcome)?
        private var result: Result<Outcome, Error>?

        func prepare(_ body: @escaping @Sendable () async throws -> Outcome) { lock.withLock { self.body = body } }
        func run() async {
            guard let body = lock.withLock({ self.body }) else { return }
            let result: Result<Outcome, Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            lock.withLock { self.result = result }
        }
        var outcome: Outcome? {
            get throws { try lock.withLock { result }?.get() }
        }
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
