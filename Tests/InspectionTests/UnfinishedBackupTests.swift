import Foundation
import Inspection
import Layout
import Testing

/// Copies taken while a backup ran: what ktape wrote before its manifest (envelope objects, the store
/// lock) says a backup has not finished, where a Confluent sink's bucket has no manifest by design.
@Suite("verify of a store whose backup has not finished")
struct UnfinishedBackupTests {
    static let lease =
        "{\"format\":\"ktape-leases\",\"version\":1,\"leases\":[{\"runId\":\"20261124T120000.000Z-all-0000abcd\","
        + "\"command\":\"backup\",\"holder\":\"host pid 42\",\"claims\":[{\"topic\":\"clicks\"}],"
        + "\"acquiredAt\":\"2026-11-24T12:00:00.000Z\",\"expiresAt\":\"2026-11-24T12:05:00.000Z\"}]}"

    /// Confluent sink objects (`.json`, no companions), as a backup in confluent-json format also writes them.
    func sinkObjects() throws -> InspectionFixture {
        let fixture = try InspectionFixture()
        try fixture.write("topics/clicks/partition=0/clicks+0+0000000000.json", Array("{\"id\":1}\n{\"id\":2}\n".utf8))
        try fixture.write("topics/clicks/partition=0/clicks+0+0000000002.json", Array("{\"id\":3}\n".utf8))
        return fixture
    }

    /// The first run's envelope objects are copied, its manifest not yet written.
    @Test(arguments: [false, true])
    func envelopeObjectsWithoutAManifestAreAProblem(strict: Bool) async throws {
        let fixture = try InspectionFixture()
        let manifest = try await fixture.writeRun(["orders": [0: 5]])
        let copy = try fixture.copy()
        try copy.remove(copy.layout.runManifestKey(manifest.runId))
        let report = try await copy.verify(VerifyOptions(concurrency: 3, chunkSize: 64, strict: strict))
        #expect(report.problems.count == 1)
        let message = try #require(report.problems.first?.message)
        #expect(message.contains("2 .ktape.json objects"), "\(message)")
        #expect(message.contains("no run manifest"), "\(message)")
        #expect(message.contains("not finished"), "\(message)")
        #expect(!report.notes.contains { $0.contains("a Confluent sink's bucket has none") })
    }

    /// ls says the same of such a copy, rather than describing it as a Confluent sink's bucket.
    @Test func lsNamesEnvelopeObjectsWithoutAManifestAsAnUnfinishedBackup() async throws {
        let fixture = try InspectionFixture()
        let manifest = try await fixture.writeRun(["orders": [0: 5]])
        let copy = try fixture.copy()
        try copy.remove(copy.layout.runManifestKey(manifest.runId))
        let summary = try await StoreSummary.load(store: copy.store, layout: copy.layout)
        #expect(summary.source == .listing)
        #expect(summary.unfinishedBackup?.contains("2 .ktape.json objects") == true, "\(summary.unfinishedBackup ?? "nil")")
        let table = summary.tableText()
        #expect(table.contains("a backup that has not finished"), "\(table)")
        #expect(!table.contains("a Confluent sink's layout"), "\(table)")
        #expect(try summary.jsonText().contains("\"unfinishedBackup\""))
    }

    /// A sink bucket with a backup's lock in it (a confluent-json backup killed before its manifest).
    @Test func lsNamesTheLockOfABackupThatHasNotFinished() async throws {
        let fixture = try sinkObjects()
        try fixture.write("_ktape/locks/store.json", Array(Self.lease.utf8))
        let summary = try await StoreSummary.load(store: fixture.store, layout: fixture.layout)
        #expect(summary.unfinishedBackup?.contains("_ktape/locks/store.json") == true, "\(summary.unfinishedBackup ?? "nil")")
        let sink = try sinkObjects()
        let clean = try await StoreSummary.load(store: sink.store, layout: sink.layout)
        #expect(clean.unfinishedBackup == nil)
        #expect(clean.tableText().contains("a Confluent sink's layout"))
    }

    /// Every manifest lost, the index kept: the runs it names are named too.
    @Test func indexWithoutItsManifestsNamesItsRuns() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeIndex()
        let copy = try fixture.copy()
        for manifest in copy.manifests { try copy.remove(copy.layout.runManifestKey(manifest.runId)) }
        let report = try await copy.verify()
        #expect(report.problems.count == 3)
        #expect(report.problems.first?.message.contains("(_ktape/index.json; 8 .ktape.json objects such as ") == true, "\(report.problems)")
        #expect(report.problems.dropFirst().map(\.subject) == copy.manifests.map { "run \($0.runId)" })
    }

    @Test(arguments: ["_ktape/locks/store.json", "_ktape/index.json", "_ktape/locks/nightly-all.json"])
    func ktapeMetadataWithoutAManifestIsAProblem(key: String) async throws {
        let fixture = try sinkObjects()
        try fixture.write(key, Array(Self.lease.utf8))
        let report = try await fixture.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.message.contains(key) == true, "\(report.problems)")
        #expect(report.objectsChecked == 2)
    }

    /// A copy taken before the first backup wrote any object holds only its lock: named as an
    /// unfinished backup too, not as an empty store to check --store for.
    @Test func aLockAloneIsAnUnfinishedBackup() async throws {
        let fixture = try InspectionFixture()
        try fixture.write("_ktape/locks/store.json", Array(Self.lease.utf8))
        let report = try await fixture.verify()
        #expect(report.problems.count == 1, "\(report.problems)")
        #expect(report.problems.first?.message.contains("_ktape/locks/store.json") == true, "\(report.problems)")
        #expect(report.problems.first?.message.contains("a backup that has not finished") == true, "\(report.problems)")
        #expect(report.problems.first?.message.contains("nothing to verify") == false, "\(report.problems)")
    }

    /// A lock that holds no lease is what every run leaves behind (runs empty it, never delete it): a
    /// confluent-json backup that failed before writing anything leaves a sink's bucket as it was.
    @Test func anEmptiedLockIsNoSignOfABackup() async throws {
        let fixture = try sinkObjects()
        try fixture.write("_ktape/locks/store.json", Array(try LeaseTable().encoded()))
        let summary = try await StoreSummary.load(store: fixture.store, layout: fixture.layout)
        #expect(summary.unfinishedBackup == nil, "\(summary.unfinishedBackup ?? "nil")")
        #expect(summary.tableText().contains("a Confluent sink's layout"))
        let report = try await fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    /// A restore keeps its resume state in the store it reads unless given --state-dir, a Confluent
    /// sink's bucket too: that is no trace of a backup.
    @Test func restoreStateInASinkBucketIsNoTraceOfABackup() async throws {
        let fixture = try sinkObjects()
        try fixture.write("_ktape/restore/cluster-b/clicks.json", Array("{}".utf8))
        try fixture.write("_ktape/restore/cluster-b.lock.json", Array(Self.lease.utf8))
        // Nor are the probes of conditional writes, a restore's or a backup's that stopped before writing.
        try fixture.write(fixture.layout.restoreConditionalWriteProbeKey, Array("probe\n".utf8))
        try fixture.write(fixture.layout.conditionalWriteProbeKey, Array("probe\n".utf8))
        let report = try await fixture.verify(VerifyOptions(strict: true))
        #expect(report.problems == [])
        #expect(report.objectsChecked == 2)
        #expect(report.notes.contains { $0.contains("a Confluent sink's bucket has none") })
    }
}

/// The placeholder a run writes at the manifest key of a killed run whose lease it took
/// (`RunManifest.placeholder`): a run with no records, which ls lists and verify passes.
@Suite struct TakenOverRunTests {
    @Test func aPlaceholderReadsAsARunWithNothingInIt() async throws {
        let fixture = try InspectionFixture()
        let first = try await fixture.writeRun(["orders": [0: 5]])
        let killed = RunID(rawValue: "20270115T080000.000Z-all-0000dead")
        let placeholder = RunManifest.placeholder(
            for: killed, takenOverBy: first.runId, job: first.job, at: Date(timeIntervalSince1970: 1_800_000_000),
            store: first.store, configHash: first.configHash)
        try fixture.write(fixture.layout.runManifestKey(killed), Array(try placeholder.encodedBytes(layout: fixture.layout)))
        try await fixture.writeRun(["orders": [0: 4]])
        let report = try await fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        let summary = try await StoreSummary.load(store: fixture.store, layout: fixture.layout)
        #expect(summary.runs.count == 3)
        #expect(summary.runs.first { $0.runId == killed.rawValue }?.objects == 0)
        // Said to be killed, in the table and the JSON; it showed as a run finished at the takeover.
        #expect(summary.runs.first { $0.runId == killed.rawValue }?.takenOverBy == first.runId.rawValue)
        #expect(summary.runs.filter { $0.takenOverBy != nil }.count == 1)
        let row = summary.tableText().split(separator: "\n").first { $0.hasPrefix(killed.rawValue) }
        #expect(row?.contains(" killed ") == true, "\(summary.tableText())")
        #expect(summary.tableText().contains("killed: a later run (or prune) took the run's lease over, its manifest never written"))
    }
}

extension TakenOverRunTests {
    /// A first backup killed, its rerun killed too after writing the first run's placeholder: no run
    /// finished, and verify says so (it passed, with "1 run, 0 objects").
    @Test func placeholdersAloneAreNoFinishedRun() async throws {
        let fixture = try InspectionFixture()
        let manifest = try await fixture.writeRun(["orders": [0: 5]])
        let copy = try fixture.copy()
        try copy.remove(copy.layout.runManifestKey(manifest.runId))
        let placeholder = RunManifest.placeholder(
            for: RunID(rawValue: "20270115T070000.000Z-all-0000dead"), takenOverBy: manifest.runId, job: manifest.job,
            at: Date(timeIntervalSince1970: 1_800_000_000), store: manifest.store, configHash: manifest.configHash)
        try copy.write(copy.layout.runManifestKey(placeholder.runId), Array(try placeholder.encodedBytes(layout: copy.layout)))
        // The index the rerun folded the placeholder into names it; its manifest is there.
        var index = StoreIndex()
        try index.fold([placeholder])
        try copy.write(copy.layout.indexKey, Array(try index.encoded()))
        let report = try await copy.verify()
        #expect(report.problems.count == 1, "\(report.problems)")
        #expect(report.problems.first?.message.contains("a backup that has not finished") == true, "\(report.problems)")
    }
}
