import Failures
import Foundation
import Spawn
import Testing
@testable import Backup
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import StoreLock

/// One writer per store's data: a lease in `_ktape/locks/store.json` claims the partitions a run
/// writes, whatever the job's name.
@Suite struct LockTests {
    func table(_ leases: LeaseTable.Lease...) throws -> [UInt8] { Array(try LeaseTable(leases: leases).encoded()) }

    func lease(_ run: String, job: String?, holder: String = "otherhost pid 42", topic: String, expiresIn seconds: TimeInterval)
        -> LeaseTable.Lease
    {
        let now = Date()
        return LeaseTable.Lease(
            runId: run, command: "backup", job: job, holder: holder, claims: [LeaseTable.Claim(topic: topic)],
            acquiredAt: now, expiresAt: now.addingTimeInterval(seconds))
    }

    /// Before its manifest a run checks its lease: one another run removed ends it with one line
    /// naming the lock once (it used to say "lock K: lock K: ...").
    @Test func aLostLeaseEndsTheRunNamingTheLockOnce() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let store = MemoryStore()
        let request = try fixture.request(store: store, topics: ["t"])
        let keeper = BackupLease.keeper(request, runId: RunID(rawValue: "run-1"), configHash: "h", topics: ["t"], partitions: [])
        try await keeper.acquire()
        // As a run that took it over leaves the table: without it.
        try await store.put(keeper.key, body: Array(try LeaseTable().encoded()))
        let error = await #expect(throws: RunFailure.self) { try await BackupLease.checkHeld(keeper) }
        #expect(error?.message.hasPrefix("lock \(keeper.key): the lease of run run-1 is gone: ") == true, "\(error?.message ?? "")")
        #expect(error?.message.components(separatedBy: "lock \(keeper.key)").count == 2, "\(error?.message ?? "")")
    }

    /// A run paused past its lease (SIGSTOP, a frozen VM) while another run took over and wrote its
    /// objects: when it goes on, it must not write over them. Its first object's key already holds
    /// the other run's object; replacing it (the PUT after a failed create, or a multipart
    /// completion) first checks the lease afresh, finds it gone, and stops. It used to replace it,
    /// leaving the other run's manifest naming bytes that were no longer there (helper-83).
    @Test(arguments: [false, true]) func aRunPausedPastItsLeaseDoesNotWriteOverTheRunThatTookOver(multipart: Bool) async throws {
        // @unchecked Sendable: `tookOver` is under `state`.
        final class TakenOverMeanwhile: ForwardingStore, @unchecked Sendable {
            let base = MemoryStore()
            var forwardee: any ObjectStore { base }
            let lockKey: String
            let theirs: [UInt8] = Array("{\"the other run's object\":1}\n".utf8)
            private let state = NSLock()
            private(set) var tookOver: String?
            init(lockKey: String) { self.lockKey = lockKey }
            /// The other run takes the lease over and writes `key` first.
            func takeOver(_ key: String) async throws {
                guard key.hasPrefix("topics/"),
                    state.withLock({ () -> Bool in
                        defer { tookOver = tookOver ?? key }
                        return tookOver == nil
                    })
                else { return }
                let now = Date()
                let other = LeaseTable.Lease(
                    runId: "other-run", command: "backup", job: "test", holder: "otherhost pid 42",
                    claims: [LeaseTable.Claim(topic: String(key.split(separator: "/")[1]))], acquiredAt: now,
                    expiresAt: now.addingTimeInterval(600))
                _ = try await base.put(lockKey, body: Array(try LeaseTable(leases: [other]).encoded()))
                _ = try await base.put(key, body: theirs)
            }
            func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
                try await takeOver(key)
                return try await base.put(key, body: body, options: options)
            }
            func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
                try await takeOver(key)
                return try await base.createMultipartUpload(key, options: options)
            }
        }
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("paused", partitions: 1)
        let value = Array(repeating: UInt8(ascii: "7"), count: 900_000)
        try fixture.produce(
            (0..<(multipart ? 7 : 3)).map { n in
                KafkaProducerRecord(
                    topic: topic, partition: 0, key: nil, value: multipart ? value : Array("\(n)".utf8), timestamp: 1_700_000_000_000)
            })
        let store = TakenOverMeanwhile(lockKey: fixture.layout.storeLockKey)
        let error = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: store, topics: [topic], ["part-size": "5MiB"])
        }
        #expect(error?.message.contains("is gone: another run removed it") == true, "\(error?.message ?? "")")
        let key = try #require(store.tookOver)
        #expect(try await store.get(key) == store.theirs)
        #expect(try await StoreContents.manifests(store).isEmpty)
    }

    @Test func aLeaseOnTheTopicStopsTheRunWhateverItsJobName() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("locked", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 3)
        let store = MemoryStore()
        let key = fixture.layout.storeLockKey
        try await store.put(
            key, body: try table(lease("20261124T120000.000Z-all-00000001", job: "another-job", topic: topic, expiresIn: 600)))

        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.kind == .failure)
        let message = error?.message ?? ""
        #expect(message.contains("topic \(topic) is held by backup of job another-job by otherhost pid 42"), "\(message)")
        #expect(message.contains("until 2"), "\(message)")
        #expect(message.contains("_ktape/locks/store.json"), "\(message)")
        #expect(try await StoreContents.dataKeys(store).isEmpty)
        // The other run's lease is left alone.
        #expect(
            try LeaseTable.decode(Data(try await store.get(key)), name: key).leases.map(\.runId) == ["20261124T120000.000Z-all-00000001"])
    }

    @Test func aLeaseOnAnotherTopicDoesNotStopTheRun() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("free", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = MemoryStore()
        let key = fixture.layout.storeLockKey
        try await store.put(key, body: try table(lease("other-run", job: "other", topic: "\(topic)-not", expiresIn: 600)))
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 3)
        // Only the other run's lease is left.
        #expect(try LeaseTable.decode(Data(try await store.get(key)), name: key).leases.map(\.runId) == ["other-run"])
    }

    @Test func anExpiredLeaseIsTakenOverAndTheLockRemovedAtTheEnd() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("expired", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = MemoryStore()
        let key = fixture.layout.storeLockKey
        try await store.put(key, body: try table(lease("20261124T120000.000Z-all-00000001", job: nil, topic: topic, expiresIn: -1)))

        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 3)
        #expect(try await store.holdsNoLease(key))
    }

    /// A killed run of this host: its lease is taken after a short grace (not its 10 minutes), and
    /// its manifest key is taken with a placeholder first, so that its manifest, had a server still
    /// been writing it, is refused instead of landing beside this run's over the same records.
    /// The store lock holding the lease of `killed`, a backup of `topic` by a process of this host
    /// that no longer exists.
    func killedRunsLease(_ killed: RunID, topic: String, expiresIn: TimeInterval, in store: any ObjectStore, _ layout: StoreLayout)
        async throws
    {
        let gone = ChildProcess()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try await store.put(
            layout.storeLockKey,
            body: try table(
                lease(
                    killed.rawValue, job: "test", holder: LockHolder.named(pid: gone.processIdentifier), topic: topic, expiresIn: expiresIn)
            ))
    }

    /// Expired or not (a host whose clock runs fast sees a fresh lease as expired): a dead process
    /// of this host may have died a moment ago, so the wait is the same.
    @Test(arguments: [600, -600] as [TimeInterval])
    func aLeaseOfAKilledProcessOnThisHostIsTakenOverAndItsManifestFenced(expiresIn: TimeInterval) async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("stale", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2)
        let store = MemoryStore()
        let killed = RunID(rawValue: "20261124T120000.000Z-all-0000000\(expiresIn > 0 ? 2 : 3)")
        try await killedRunsLease(killed, topic: topic, expiresIn: expiresIn, in: store, fixture.layout)
        var request = try fixture.request(store: store, topics: [topic])
        request.killedRunGrace = 0.2
        let summary = try await BackupEngine.run(request)
        #expect(summary.records == 2)
        #expect(WarningLog.shared.lines(containing: "run \(killed) of ").count == 1)

        let key = fixture.layout.runManifestKey(killed)
        let placeholder = try RunManifest.decode(Data(try await store.get(key)), name: key, layout: fixture.layout)
        #expect(placeholder.takenOverBy?.rawValue == summary.runId)
        #expect(placeholder.partitions.isEmpty && placeholder.objects.isEmpty)
        // The killed run's own manifest arriving late is refused.
        let late = RunManifest(
            runId: killed, previousRunId: nil, job: "test", shard: "all", startedAt: Date(), finishedAt: Date(),
            store: placeholder.store, configHash: placeholder.configHash)
        await #expect(throws: StoreError.self) {
            try await store.putOnce(key, body: try late.encodedBytes(layout: fixture.layout), options: PutOptions())
        }
        // The store reads as before: two runs, one with the records, and the next run goes on from it.
        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.map(\.runId).sorted() == [killed, RunID(rawValue: summary.runId)].sorted())
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 0)
    }

    /// A rerun with other settings is refused (its config hash differs from the store's), but it
    /// fenced the killed run first: with the store's settings, or every reader would stop at the
    /// placeholder (before, a wrong --topics-dir written into it broke verify and restore for good).
    @Test func aPlaceholderCarriesTheStoresSettingsNotTheRerunsOwn() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("settings", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2)
        let store = MemoryStore()
        _ = try await fixture.backup(store: store, topics: [topic])
        let before = try #require(try await StoreContents.manifests(store).first)
        let killed = RunID(rawValue: "20991124T120000.000Z-all-00000009")
        try await killedRunsLease(killed, topic: topic, expiresIn: 600, in: store, fixture.layout)
        var request = try fixture.request(store: store, topics: [topic], ["compression": "gzip"])
        request.killedRunGrace = 0.1
        let error = await #expect(throws: RunFailure.self) { try await BackupEngine.run(request) }
        #expect(error?.message.contains("config hash") == true, "\(error?.message ?? "")")
        let key = fixture.layout.runManifestKey(killed)
        let placeholder = try RunManifest.decode(Data(try await store.get(key)), name: key, layout: fixture.layout)
        #expect(placeholder.store == before.store && placeholder.configHash == before.configHash)
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 0)
    }

    @Test func aLiveJobLockOfAnEarlierKtapeStopsTheRun() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("legacy", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2)
        let store = MemoryStore()
        let now = Date()
        let old = JobLock(
            job: "nightly-all", runId: RunID(rawValue: "20261124T120000.000Z-all-00000003"), holder: "otherhost pid 7",
            acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        try await store.put(fixture.layout.lockKey(job: "nightly-all"), body: Array(try old.encoded()))
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.message.contains("earlier ktape") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("_ktape/locks/nightly-all.json") == true)
        #expect(try await StoreContents.dataKeys(store).isEmpty)
    }

    /// A lock that is not ktape's JSON: one line naming it once, exit 2 as for prune (a rerun does
    /// not cure it), nothing written.
    @Test func aLockKtapeCannotReadIsNamedOnceAndNeedsAHand() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("garbled", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2)
        let store = MemoryStore()
        try await store.put(fixture.layout.storeLockKey, body: Array("garbage\n".utf8))
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.kind == .invalidInput)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("lock _ktape/locks/store.json: not a JSON object"), "\(message)")
        #expect(message.components(separatedBy: "_ktape/locks/store.json").count == 2, "\(message)")
        #expect(try await StoreContents.dataKeys(store).isEmpty)
    }
}
