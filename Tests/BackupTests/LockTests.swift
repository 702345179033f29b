import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// One run of a job at a time, through a lock object with a lease.
@Suite struct LockTests {
    func lock(runId: String, expiresIn seconds: TimeInterval) throws -> [UInt8] {
        let now = Date()
        return Array(try JobLock(job: "test-all", runId: RunID(rawValue: runId), holder: "otherhost pid 42",
                                 acquiredAt: now, expiresAt: now.addingTimeInterval(seconds)).encoded())
    }

    @Test func aHeldLockStopsTheRunNamingJobHolderAndExpiry() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("locked", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = MemoryStore()
        let key = fixture.layout.lockKey(job: "test-all")
        try await store.put(key, body: try lock(runId: "20261124T120000.000Z-all-00000001", expiresIn: 600))

        let error = await #expect(throws: BackupError.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.kind == .failure)
        #expect(error?.message.contains("job test-all is already running") == true)
        #expect(error?.message.contains("otherhost pid 42") == true)
        #expect(error?.message.contains("until 2") == true, "\(error?.message ?? "")")
        #expect(try await StoreContents.dataKeys(store).isEmpty)
        // The other run's lock is left alone.
        #expect(try await store.exists(key))
    }

    @Test func anExpiredLockIsTakenOverAndReleasedAtTheEnd() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("expired", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = MemoryStore()
        let key = fixture.layout.lockKey(job: "test-all")
        try await store.put(key, body: try lock(runId: "20261124T120000.000Z-all-00000001", expiresIn: -1))

        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 3)
        #expect(!(try await store.exists(key)))
    }
}

extension LockTests {
    @Test func aLockOfAKilledProcessOnThisHostIsTakenOverAtOnce() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("stale", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2)
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let store = MemoryStore()
        let now = Date()
        let stale = JobLock(job: "test-all", runId: RunID(rawValue: "20261124T120000.000Z-all-00000002"),
                            holder: "\(ProcessInfo.processInfo.hostName) pid \(gone.processIdentifier)",
                            acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        try await store.put(fixture.layout.lockKey(job: "test-all"), body: Array(try stale.encoded()))
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 2)
    }
}
