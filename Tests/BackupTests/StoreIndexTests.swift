import Failures
import Foundation
import Spawn
import KtapeTestSupport
import Layout
import ObjectStore
import StoreLock
import StoreMetadata
import Testing
@testable import Backup

/// `_ktape/index.json`: each run folds its manifest in, and the next run reads that one object
/// however many runs came before.
@Suite struct StoreIndexTests {
    func index(_ store: any ObjectStore, _ layout: StoreLayout) async throws -> StoreIndex {
        try StoreIndex.decode(Data(try await store.get(layout.indexKey)), name: layout.indexKey)
    }

    /// 30 runs, then a run with no new data: a fixed handful of requests, and of the manifests only
    /// the newest read (whether a topic or a group's offsets changed since).
    @Test func aRunWithNoNewDataReadsTheIndexNotTheManifests() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("indexed", partitions: 2)
        let store = CountingStore()
        for run in 0..<30 {
            try fixture.produceJSON(topic: topic, partitions: 2, count: 2, from: run * 2)
            _ = try await fixture.backup(store: store, topics: [topic])
        }
        let index = try await index(store, fixture.layout)
        #expect(index.runs.count == 30)
        #expect(index.partitions.map(\.nextOffset) == [30, 30])

        store.reset()
        let idle = try await fixture.backup(store: store, topics: [topic])
        #expect(idle.manifestKey == nil)
        #expect(store.requests <= 10, "\(store.byVerb)")
        #expect(store.gets.filter { $0.hasPrefix("_ktape/runs/") } == [fixture.layout.runManifestKey(index.runs[29])], "\(store.gets)")
    }

    /// A store copied as a run finished: the index names the run, the copy lacks its manifest. Backing
    /// up on would chain onto records no manifest names; the run stops, and once the index is removed
    /// the next run rebuilds it from the manifests there and reads that run's records again.
    @Test func anIndexAheadOfItsManifestsStopsTheRun() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("torn", partitions: 1)
        let store = MemoryStore()
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        _ = try await fixture.backup(store: store, topics: [topic])
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 5)
        let lost = try #require(try await fixture.backup(store: store, topics: [topic]).manifestKey)
        try await store.delete(lost)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 10)
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.contains("names run") == true && error?.message.contains("\(lost) is missing") == true, "\(error?.message ?? "")"
        )
        try await store.delete(fixture.layout.indexKey)
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 10)
    }

    /// A run killed after writing its manifest and before folding it leaves its lease; the next run
    /// drops the lease, folds the manifest first, and so continues after that run's records.
    @Test func aKilledRunsManifestIsFoldedByTheRunThatDropsItsLease() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("killed", partitions: 1)
        let store = MemoryStore()
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        _ = try await fixture.backup(store: store, topics: [topic])
        let folded = try await index(store, fixture.layout)

        // The second run writes its manifest, then "dies": its index write and lease removal undone.
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 5)
        let second = try await fixture.backup(store: store, topics: [topic])
        let secondRun = try #require(second.manifestKey.flatMap { fixture.layout.runID(fromKey: $0) })
        try await store.put(fixture.layout.indexKey, body: Array(try folded.encoded()))
        let gone = ChildProcess()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let now = Date()
        let lease = LeaseTable.Lease(
            runId: secondRun.rawValue, command: "backup", job: "test",
            holder: LockHolder.named(pid: gone.processIdentifier),
            claims: [LeaseTable.Claim(topic: topic)], acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        try await store.put(fixture.layout.storeLockKey, body: Array(try LeaseTable(leases: [lease]).encoded()))
        #expect(try await index(store, fixture.layout).runs.count == 1)

        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 10)
        let third = try await fixture.backup(store: store, topics: [topic])
        #expect(third.records == 5, "the third run read records the second had backed up")
        let after = try await index(store, fixture.layout)
        #expect(after.runs.count == 3)
        #expect(after.partitions.map(\.nextOffset) == [15])
        #expect(try await StoreContents.manifests(store).continuityProblems().isEmpty)
    }

    /// A store an older ktape wrote has no index: the next run folds one from the manifests.
    @Test func aStoreWithoutAnIndexGetsOneFromItsManifests() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("legacy", partitions: 1)
        let store = MemoryStore()
        try fixture.produceJSON(topic: topic, partitions: 1, count: 4)
        _ = try await fixture.backup(store: store, topics: [topic])
        try await store.delete(fixture.layout.indexKey)
        let idle = try await fixture.backup(store: store, topics: [topic])
        #expect(idle.records == 0)
        #expect(try await index(store, fixture.layout).partitions.map(\.nextOffset) == [4])
    }

    /// An unreadable index stops the run (exit 2) with what to do about it, as verify's warning says;
    /// once it is removed, the next run folds it again.
    @Test func anUnreadableIndexStopsTheRunNamingTheRemedy() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("damaged", partitions: 1)
        let store = MemoryStore()
        try fixture.produceJSON(topic: topic, partitions: 1, count: 4)
        _ = try await fixture.backup(store: store, topics: [topic])
        let whole = try await store.get(fixture.layout.indexKey)
        try await store.put(fixture.layout.indexKey, body: Array(whole.prefix(40)))
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.hasPrefix("store index \(fixture.layout.indexKey): ") == true, "\(error?.message ?? "")")
        #expect(
            error?.message.hasSuffix("; remove it and run again: the backup folds it anew from the run manifests") == true,
            "\(error?.message ?? "")")
        try await store.delete(fixture.layout.indexKey)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2, from: 4)
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 2)
    }
}

/// The same on S3, counted at a proxy in front of moto: a store of 200 runs (made in memory, copied
/// to the bucket), then a run with no new data through `scripts/fault-proxy` (one of its requests
/// reads the newest manifest).
@Suite struct S3NoOpRunTests {
    @Test func aRunWithNoNewDataOnAStoreOfHundredsOfRunsMakesAtMostElevenRequests() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("hourly", partitions: 3)
        let memory = MemoryStore()
        for run in 0..<200 {
            try fixture.produceJSON(topic: topic, partitions: 3, count: 1, from: run)
            _ = try await fixture.backup(store: memory, topics: [topic])
        }
        let server = try await S3TestServer.shared.value
        let script = S3TestServer.repositoryRoot().appendingPathComponent("scripts/fault-proxy")
        let started = try await ScriptRunner.startAndReadExports(script: script, arguments: ["--upstream", server.endpoint, "--rate", "0"])
        defer { started.process.terminate() }
        let proxy = try #require(started.exports["FAULT_PROXY_URL"])
        let store = try await server.freshStore(endpoint: proxy)
        let keys = try await memory.listAll(prefix: "").map(\.key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in stride(from: 0, to: keys.count, by: 50).map({ keys[$0..<min($0 + 50, keys.count)] }) {
                group.addTask { for key in slice { try await store.put(key, body: try await memory.get(key)) } }
            }
            try await group.waitForAll()
        }
        #expect(keys.filter { $0.hasPrefix("_ktape/runs/") }.count == 200)
        // The runs before, had they written to S3, would have left the probe of conditional writes
        // (a memory store makes its own conditions and writes none): the run below meets it as the 201st would.
        _ = try await store.put(StoreLayout().conditionalWriteProbeKey, body: Array("probe\n".utf8))

        let before = try await Self.forwarded(proxy)
        let idle = try await fixture.backup(store: store, topics: [topic])
        let requests = try await Self.forwarded(proxy) - before
        #expect(idle.manifestKey == nil)
        #expect(idle.records == 0)
        #expect(requests <= 11, "a run with no new data made \(requests) requests")
        #expect(requests >= 3, "the proxy saw \(requests) requests: is it in the path?")
    }

    static func forwarded(_ proxy: String) async throws -> Int {
        let stats = try await S3TestServer.transport.send(HTTPRequest(method: "GET", url: proxy + "/__fault-proxy/stats"))
        return try JSONDecoder().decode([String: Int].self, from: Data(stats.body))["forwarded"] ?? 0
    }
}
