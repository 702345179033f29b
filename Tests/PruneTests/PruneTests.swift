import Checksums
import Failures
import Foundation
import Spawn
import Inspection
import KtapeTestSupport
import Layout
import ObjectStore
@testable import Prune
import SigV4
import StoreLock
import StoreMetadata
import Testing
import JobSpec

/// A store as backups leave it, built directly: each run writes objects of `perObject` records with
/// known times into partitions 0 and 1 of topic `events`, with `.keys.json` companions on partition 1,
/// and its manifest.
// @unchecked Sendable: changed only by its test's task, one run written after another.
final class PruneFixture: @unchecked Sendable {
    let store: any ObjectStore
    let layout = StoreLayout(prefix: "prod", topicsDir: "topics")
    private var next: [String: Int64] = [:]
    private var runs = 0
    /// Keys written of topic `events`, oldest first, per partition.
    private(set) var keys: [Int32: [String]] = [:]

    init(store: any ObjectStore = MemoryStore()) { self.store = store }

    /// One run: per partition, an object per entry of `times`, each holding `perObject` records whose
    /// newest has that time (epoch ms). `lock` puts Object Lock retention on those objects. With
    /// `startedAt`, the run took 60 s from then and its manifest records no record times (as before
    /// manifest version 3).
    func run(
        times: [Int64], perObject: Int64 = 10, topic: String = "events", lock: (Int32, Int) -> Bool = { _, _ in false },
        startedAt: Date? = nil
    ) async throws {
        runs += 1
        let started = startedAt ?? Date(timeIntervalSince1970: 1_800_000_000 + Double(runs) * 3600)
        let runId = RunID(startedAt: started, shard: "all", randomSuffix: UInt32(runs))
        var objects: [ManifestObject] = []
        var partitions: [ManifestPartition] = []
        for p: Int32 in [0, 1] {
            let start = next["\(topic)/\(p)"] ?? 0
            for (index, time) in times.enumerated() {
                let first = start + Int64(index) * perObject
                let key = layout.key(for: try ObjectKey(topic: topic, partition: p, startOffset: first, kind: ObjectFileKind(.values)))
                let body = Array(String(repeating: "{\"n\":1}\n", count: Int(perObject)).utf8)
                var options = PutOptions()
                if lock(p, index) {
                    options.objectLock = ObjectLockRetention(mode: .governance, retainUntil: Date().addingTimeInterval(86_400))
                }
                try await store.put(key, body: body, options: options)
                var companions: [String] = []
                if p == 1 {
                    let companion = layout.key(
                        for: try ObjectKey(
                            topic: topic, partition: p, startOffset: first,
                            kind: ObjectFileKind(.keys)))
                    try await store.put(companion, body: Array(String(repeating: "\"k\"\n", count: Int(perObject)).utf8), options: options)
                    companions = [companion]
                }
                if topic == "events" { keys[p, default: []].append(key) }
                objects.append(
                    ManifestObject(
                        key: key, topic: topic, partition: p, firstOffset: first, lastOffset: first + perObject - 1,
                        recordCount: perObject, byteSize: Int64(body.count), sha256: sha(body),
                        companionKeys: companions, minTimestamp: startedAt == nil ? time - 5 : nil,
                        maxTimestamp: startedAt == nil ? time : nil))
            }
            let end = start + Int64(times.count) * perObject
            partitions.append(ManifestPartition(topic: topic, partition: p, startOffset: start, endOffset: end, endOffsetAtStart: end))
            next["\(topic)/\(p)"] = end
        }
        let manifest = RunManifest(
            runId: runId, previousRunId: nil, job: "test", shard: "all", startedAt: started,
            finishedAt: started.addingTimeInterval(startedAt == nil ? 0 : 60),
            store: ManifestStoreSettings(topicsDir: "topics", format: .confluentJSON, compression: .none),
            configHash: "h", topics: [ManifestTopic(name: topic, partitionCount: 2)],
            partitions: partitions, objects: objects)
        try await store.put(layout.runManifestKey(runId), body: Array(try manifest.encoded(layout: layout)))
    }

    func sha(_ body: [UInt8]) -> String { Digest.hex(Digest.sha256(body)) }

    func request(before cutoff: Int64, topics: [String]? = nil, dryRun: Bool = false, store: (any ObjectStore)? = nil) throws
        -> PruneRequest
    {
        var document: [String: JobRawValue] = ["store": .scalar("/unused"), "before": .scalar(String(cutoff))]
        if let topics { document["topics"] = .list(topics) }
        if dryRun { document["dry-run"] = .scalar("true") }
        let spec = try JobSpec(document: .flags(document), command: .prune)
        return PruneRequest(job: "test", settings: try #require(spec.prune), store: store ?? self.store, layout: layout)
    }

    func verify() async throws -> VerifyReport {
        try await StoreVerifier(store: store, layout: layout).run()
    }

    func existing() async throws -> Set<String> { Set(try await store.listAll(prefix: layout.topicsFolder).map(\.key)) }

    /// Puts in the store lock the lease of a backup of topic `events` by a process of this host that
    /// is gone (killed), and returns its run.
    func leaseOfAKilledBackup() async throws -> RunID {
        let gone = ChildProcess()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let killed = RunID(rawValue: "20300101T000000.000Z-all-0000dead")
        let now = Date()
        let table = LeaseTable(leases: [
            LeaseTable.Lease(
                runId: killed.rawValue, command: "backup", job: "nightly", holder: LockHolder.named(pid: gone.processIdentifier),
                claims: [LeaseTable.Claim(topic: "events")], acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        ])
        try await store.put(layout.storeLockKey, body: Array(try table.encoded()))
        return killed
    }
}

@Suite struct PruneTests {
    /// Given another `--topics-dir` than its runs wrote under, a prune took the objects it listed
    /// there (a Confluent sink's, beside a ktape backup) for leftovers below the first kept offsets and
    /// deleted them, exit 0. It now stops before deleting anything, as restore and verify do.
    @Test func anotherTopicsDirThanTheRunsStopsThePruneBeforeItDeletes() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        let sinkKey = "prod/data/events/partition=0/events+0+0000000000.json"
        _ = try await fixture.store.put(sinkKey, body: Array("{\"n\":0}\n".utf8))
        let before = Set(try await fixture.store.listAll(prefix: "prod/").map(\.key))
        var request = try fixture.request(before: 2_500)
        request.layout = StoreLayout(prefix: "prod", topicsDir: "data")
        let error = await #expect(throws: RunFailure.self) { try await PruneEngine.run(request) }
        #expect(error?.kind == .invalidInput)
        #expect(
            error?.message.contains(
                "wrote its objects under topics dir 'topics', not 'data'; pass --topics-dir topics; nothing was deleted")
                == true, "\(error?.message ?? "")")
        #expect(Set(try await fixture.store.listAll(prefix: "prod/").map(\.key)).isSuperset(of: before))
        #expect(try await fixture.store.listAll(prefix: fixture.layout.prunedKey).isEmpty)
    }

    /// A migration's restore kept its state in the store: a prune that removes offsets it has not
    /// restored says so, naming the restore (its next run would stop with exit 2, found out only
    /// then); it still prunes. Restores already past, entries of --repartition restores or of earlier
    /// ktape (no source partition), and restores already cut off by an earlier prune are not named.
    @Test func aPruneSaysWhichRestoresItLeavesBehind() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        func entry(_ partition: Int32, next: Int64, source: Int32?) -> RestoreProgress.Partition {
            RestoreProgress.Partition(
                partition: partition, sourceTopic: "events", nextSourceOffset: next, configHash: "c", baseTargetOffset: 0,
                deliveredRecords: next, plannedRecords: 30, updatedAt: at, sourcePartition: source)
        }
        let behind = fixture.layout.restoreStateKey(targetCluster: "cluster-b", topic: "copy")
        let ahead = fixture.layout.restoreStateKey(targetCluster: "cluster-c", topic: "events")
        let repartitioned = fixture.layout.restoreStateKey(targetCluster: "cluster-d", topic: "spread")
        for (key, target, entries) in [
            (behind, "copy", [entry(0, next: 5, source: 0), entry(1, next: 3, source: 1)]),
            (ahead, "events", [entry(0, next: 30, source: 0), entry(1, next: 25, source: 1)]),
            (repartitioned, "spread", [entry(0, next: 0, source: nil), entry(1, next: 0, source: nil), entry(2, next: 0, source: nil)])
        ] {
            let progress = RestoreProgress(targetTopic: target, updatedAt: at, partitions: entries)
            _ = try await fixture.store.put(key, body: Array(try progress.encoded()))
        }
        // Documents that cannot be read are named in one line, and the prune goes on.
        for name in ["garbage", "empty"] {
            let key = fixture.layout.restoreStateKey(targetCluster: "cluster-e", topic: name)
            _ = try await fixture.store.put(key, body: name == "empty" ? [] : Array("{not json".utf8))
        }
        var bad = try fixture.request(before: 2_500, dryRun: true)
        let badLines = Lines()
        bad.warn = { badLines.append($0) }
        _ = try await PruneEngine.run(bad)
        let named = badLines.all.filter { $0.hasPrefix("restore state ") }
        #expect(named.count == 1 && named[0].contains("cluster-e/empty.json and 1 more cannot be read"), "\(badLines.all)")
        for name in ["garbage", "empty"] {
            try await fixture.store.delete(fixture.layout.restoreStateKey(targetCluster: "cluster-e", topic: name))
        }
        let lines = Lines()
        var dry = try fixture.request(before: 2_500, dryRun: true)
        dry.warn = { lines.append($0) }
        _ = try await PruneEngine.run(dry)
        // Planned group by group (a prune of many objects): still one line per restore, after them all.
        var grouped = try fixture.request(before: 2_500, dryRun: true)
        grouped.candidatesPerPass = 3
        let groupedLines = Lines()
        grouped.warn = { groupedLines.append($0) }
        _ = try await PruneEngine.run(grouped)
        #expect(groupedLines.all == lines.all, "\(groupedLines.all)")
        #expect(
            lines.all == [
                "this prune would remove records that the restore into copy (state \(behind), written 2027-01-15T08:00:00.000Z) has not restored yet: events/0 offsets 5…19, events/1 offsets 3…19; its next run will stop (exit 2). Run that restore before pruning, or remove its state if it is done with"
            ], "\(lines.all)")

        var real = try fixture.request(before: 2_500)
        let said = Lines()
        real.warn = { said.append($0) }
        #expect(try await PruneEngine.run(real).objects == 4)
        #expect(said.all == [lines.all[0].replacingOccurrences(of: "would remove", with: "removes")], "\(said.all)")
        // Once passed, the same restore is not named again by the next prune.
        var next = try fixture.request(before: 3_500)
        let again = Lines()
        next.warn = { again.append($0) }
        #expect(try await PruneEngine.run(next).objects == 2)
        #expect(again.all.count == 1 && again.all[0].contains("events/1 offsets 25…29") && again.all[0].contains(ahead), "\(again.all)")
    }

    @Test func wholeObjectsGoFromTheOldestEndAndTheNewStartIsRecorded() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        try await fixture.run(times: [4_000, 5_000])
        let summary = try await PruneEngine.run(try fixture.request(before: 3_500))
        #expect(summary.objects == 6)
        #expect(summary.records == 60)
        #expect(summary.partitions.map(\.newFirstOffset) == [30, 30])
        let left = try await fixture.existing()
        #expect(
            left
                == Set(
                    [0, 1].flatMap { p in (fixture.keys[p] ?? []).suffix(2) } + [
                        "prod/topics/events/partition=1/events+1+0000000030.keys.json",
                        "prod/topics/events/partition=1/events+1+0000000040.keys.json"
                    ]))
        let pruned = try await PrunedStateKeeper.read(store: fixture.store, layout: fixture.layout)
        #expect(pruned.partitions.map(\.firstOffset) == [30, 30])
        #expect(pruned.partitions.allSatisfy { $0.pruneId == summary.pruneId && $0.objects == 3 && $0.records == 30 })
        // The pruned store is whole: verify reads what is left and finds nothing wrong.
        let report = try await fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.recordsChecked == 40)
        // The structure check looks up the 4 objects left, not the 6 the manifests still name but prune removed.
        let structure = try await StoreVerifier(store: fixture.store, layout: fixture.layout, options: VerifyOptions(readData: false)).run()
        #expect(structure.objectsListed == 4, "\(structure.summaryLine)")
        // A second prune with the same cutoff has nothing left to do.
        #expect(try await PruneEngine.run(try fixture.request(before: 3_500)).objects == 0)
        // The id the command's log lines and a failure's summary name, when it gives one.
        try await fixture.run(times: [6_000])
        var named = try fixture.request(before: 6_500)
        named.pruneId = "20270101T000000.000Z-prune-0000abcd"
        #expect(try await PruneEngine.run(named).pruneId == "20270101T000000.000Z-prune-0000abcd")
        #expect(
            try await PrunedStateKeeper.read(store: fixture.store, layout: fixture.layout).partitions.map(\.pruneId)
                == ["20270101T000000.000Z-prune-0000abcd", "20270101T000000.000Z-prune-0000abcd"])
    }

    /// A prune killed in a directory store leaves its temp files (in `_ktape/`, where it writes);
    /// the next prune removes them, as a backup would, and a dry run leaves them.
    /// An object of a manifest without record times is taken as no newer than its run's end (every
    /// record it read was in Kafka by then), not its start: records written while the run read are
    /// not older than its start.
    @Test func anObjectWithoutRecordTimesIsAsNewAsItsRunsEnd() async throws {
        let fixture = PruneFixture()
        let started = Date(timeIntervalSince1970: 1_800_000_000)
        try await fixture.run(times: [0, 0], startedAt: started)
        let start = Int64(started.timeIntervalSince1970 * 1000)
        let during = try await PruneEngine.run(try fixture.request(before: start + 30_000))
        #expect(during.objects == 0)
        let after = try await PruneEngine.run(try fixture.request(before: start + 61_000))
        #expect(after.objects == 4)
    }

    @Test func aPruneRemovesTheTempFilesKilledWritersLeft() async throws {
        let root = NSTemporaryDirectory() + "ktape-prune-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fixture = PruneFixture(store: try LocalDirectoryStore(root: root))
        try await fixture.run(times: [1_000, 2_000])
        let temps = try KilledWriter.leave(root: root, folders: ["prod/_ktape"])
        #expect(temps.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        _ = try await PruneEngine.run(try fixture.request(before: 1_500, dryRun: true))
        #expect(temps.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        let warnings = Lines()
        var request = try fixture.request(before: 1_500)
        request.warn = { warnings.append($0) }
        #expect(try await PruneEngine.run(request).objects == 2)
        #expect(temps.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        #expect(warnings.all == ["removed \(temps.count) temp files that killed runs left in the store"])
    }

    /// A prune holds the objects the store still has, not every object its manifests ever named: a
    /// daily prune of a store with a year of hourly runs would otherwise need memory for the year.
    @Test func aPruneHoldsOnlyTheObjectsThePrunedStoreStillHas() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        try await fixture.run(times: [4_000, 5_000])
        _ = try await PruneEngine.run(try fixture.request(before: 3_500))
        let manifests = try await ManifestHistory.load(store: fixture.store, layout: fixture.layout)
        let firstOffsets = try await PrunedStateKeeper.read(store: fixture.store, layout: fixture.layout).firstOffsets
        #expect(firstOffsets.values.sorted() == [30, 30])
        let leftover = try #require(fixture.keys[0]?.first)  // one a killed prune did not delete
        var candidates = PrunePlanner.Candidates()
        var none = PrunePlanner.Candidates()
        for manifest in manifests {
            PrunePlanner.gather(manifest, into: &candidates, firstOffsets: firstOffsets, selects: { _ in true }, stillThere: [leftover])
            PrunePlanner.gather(
                manifest, into: &none, firstOffsets: firstOffsets, selects: { $0.topic != "events" }, stillThere: [leftover])
        }
        let kept = [0, 1].flatMap { p in (fixture.keys[p] ?? []).suffix(2) } + [leftover]
        #expect(candidates.values.joined().map(\.key).sorted() == kept.sorted())
        #expect(none.isEmpty)
    }

    /// With more candidates than one pass plans at once, a prune reads the manifests again for each
    /// group of partitions that fits, and does exactly what one pass does: the same objects go, the
    /// same leftovers, the same stop at a locked object, the same record.
    @Test func aPruneOfMoreObjectsThanAPassHoldsGoesGroupByGroupAlike() async throws {
        func history(_ store: CountingStore) async throws -> PruneFixture {
            let fixture = PruneFixture(store: store)
            try await fixture.run(times: [1_000, 2_000, 3_000])
            try await fixture.run(times: [1_000, 2_000], topic: "audit")
            _ = try await PruneEngine.run(try fixture.request(before: 1_500))
            // A named object a killed prune left below the first kept offset, and one no manifest names.
            for key in [try #require(fixture.keys[0]?.first), "prod/topics/events/partition=1/events+1+0000000005.ktape.json"] {
                try await store.put(key, body: Array("{\"n\":1}\n".utf8))
            }
            try await fixture.run(times: [4_000, 5_000, 9_000], lock: { p, index in p == 1 && index == 1 })
            try await fixture.run(times: [4_000], topic: "audit")
            store.reset()
            return fixture
        }
        func outcome(_ fixture: PruneFixture, _ summary: PruneSummary) async throws -> String {
            let pruned = try await PrunedStateKeeper.read(store: fixture.store, layout: fixture.layout).partitions.map {
                "\($0.topic)/\($0.partition) \($0.firstOffset) \($0.objects) \($0.records) \($0.bytes)"
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let partitions = String(decoding: try encoder.encode(summary.partitions), as: UTF8.self)
            return "\(partitions) leftovers \(summary.leftovers) pruned \(pruned) left \(try await fixture.existing().sorted())"
        }
        let manifestsRead = { (store: CountingStore, fixture: PruneFixture) in
            store.gets.filter { $0.hasPrefix(fixture.layout.runsFolder) }.count
        }
        let onePassStore = CountingStore()
        let onePass = try await history(onePassStore)
        let groupedStore = CountingStore()
        let grouped = try await history(groupedStore)
        for dryRun in [true, false] {
            onePassStore.reset()
            groupedStore.reset()
            let whole = try await PruneEngine.run(try onePass.request(before: 6_000, dryRun: dryRun))
            var request = try grouped.request(before: 6_000, dryRun: dryRun)
            // Candidates: audit/0 and audit/1 two each, events/0 and events/1 six each: four groups.
            request.candidatesPerPass = 3
            let inGroups = try await PruneEngine.run(request)
            #expect(whole.objects == 11 && whole.leftovers == 2 && whole.keptLocked.count == 1, "\(whole.line)")
            #expect(try await outcome(grouped, inGroups) == outcome(onePass, whole))
            // Each reads the 4 manifests for the store's topics (the fixture has no index), then to plan.
            #expect(manifestsRead(onePassStore, onePass) == 4 + 4)
            #expect(manifestsRead(groupedStore, grouped) == 4 + 4 * 5)
        }
        #expect(try await grouped.verify().problems.isEmpty)
    }

    /// `--keep-within` counts back from the host's clock: with the clock a year ahead, every record
    /// was before the cutoff and a prune removed every object (exit 0, and verify passed). A cutoff
    /// after the newest record is refused, nothing deleted, dry run too, even after a run made under
    /// that clock; `--before` such a time is taken as meant.
    @Test func aKeepWithinCutoffPastTheNewestRecordIsRefused() async throws {
        let fixture = PruneFixture()
        // Records written an hour and half an hour before 2027-01-15T09:00Z (Kafka's times).
        let newest: Int64 = 1_800_003_600_000
        try await fixture.run(times: [newest - 3_600_000, newest - 1_800_000])
        // A run under the wrong clock (its end a year ahead) that read nothing new changes nothing.
        try await fixture.run(times: [], startedAt: Date(timeIntervalSince1970: Double(newest) / 1000 + 400 * 86_400))
        let before = try await fixture.existing()
        for dryRun in [true, false] {
            let spec = try JobSpec(
                document: .flags([
                    "store": .scalar("/unused"), "keep-within": .scalar("30d"), "dry-run": .scalar(dryRun ? "true" : "false")
                ]), command: .prune)
            var request = PruneRequest(job: "test", settings: try #require(spec.prune), store: fixture.store, layout: fixture.layout)
            request.clock = { Date(timeIntervalSince1970: Double(newest) / 1000 + 400 * 86_400) }
            let error = await #expect(throws: RunFailure.self) { try await PruneEngine.run(request) }
            #expect(error?.isInvalidInput == true)
            #expect(error?.message.hasPrefix("--keep-within 30d counts back from now, 2028-02-") == true, "\(error?.message ?? "")")
            #expect(
                error?.message.contains("after the newest record the store holds of the topics pruned (2027-01-15T08:30:00.000Z)") == true,
                "\(error?.message ?? "")")
            #expect(try await fixture.existing() == before)
            if dryRun {
                // Within the window of the newest record, the same prune goes on and keeps it.
                request.clock = { Date(timeIntervalSince1970: Double(newest) / 1000 + 29 * 86_400) }
                #expect(try await PruneEngine.run(request).objects == 0)
            }
        }
        // `--before` a time after every record is what it says.
        #expect(try await PruneEngine.run(try fixture.request(before: newest)).objects == 4)
    }

    /// A prune that drops the lease of a backup of this host that was killed fences it as a backup
    /// would: it waits, then takes the killed run's manifest key with a placeholder written with the
    /// store's settings. (It only folded what was there: the next backup, finding no lease, neither
    /// waited for the killed run's late writes nor kept its late manifest out.)
    @Test func aKilledBackupsLeaseDroppedByAPruneIsFenced() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000])
        let killed = try await fixture.leaseOfAKilledBackup()
        let warnings = Lines()
        var request = try fixture.request(before: 1_500)
        request.killedRunGrace = 0.1
        request.warn = { warnings.append($0) }
        let summary = try await PruneEngine.run(request)
        #expect(summary.objects == 2)
        #expect(warnings.all.filter { $0.contains("run \(killed) of ") && $0.contains("waiting 0 s") }.count == 1, "\(warnings.all)")
        let key = fixture.layout.runManifestKey(killed)
        let placeholder = try RunManifest.decode(Data(try await fixture.store.get(key)), name: key, layout: fixture.layout)
        #expect(placeholder.takenOverBy == RunID(rawValue: summary.pruneId))
        #expect(placeholder.store == ManifestStoreSettings(topicsDir: "topics", format: .confluentJSON, compression: .none))
        #expect(placeholder.configHash == "h")
        let report = try await fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    /// A stop ends the wait for a killed backup's late writes: the prune stops at once, the killed
    /// run's lease left for the next run, rather than after the grace.
    @Test func aStopEndsTheWaitForAKilledBackupsWrites() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000])
        _ = try await fixture.leaseOfAKilledBackup()
        var request = try fixture.request(before: 1_500)
        request.killedRunGrace = 30
        // Asked before the wait starts (a task asking during it may not run in time on a busy pool).
        request.stop.request("SIGTERM")
        // Not timed (a loaded test process can starve any task for tens of seconds): a wait that ran
        // its course would end in the prune's own stop check, "interrupted by SIGTERM: ...".
        let error = await #expect(throws: RunFailure.self) { try await PruneEngine.run(request) }
        #expect(error?.message.contains("stopped while waiting for a killed run's writes") == true, "\(error?.message ?? "")")
        #expect(try await fixture.existing().count == 6, "nothing pruned")
    }

    /// Below a first kept offset, objects no manifest names (a killed backup's, cut at another flush
    /// size than its rerun's) go with the next prune, and the summary counts them, as it counts the
    /// named ones a killed prune left.
    @Test func objectsLeftBelowTheFirstKeptOffsetGoAndAreCounted() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        try await fixture.run(times: [4_000, 5_000])
        // One left below where this prune moves the first kept offset goes with it.
        let early = "prod/topics/events/partition=1/events+1+0000000015.ktape.json"
        try await fixture.store.put(early, body: Array("{\"n\":1}\n".utf8))
        let first = try await PruneEngine.run(try fixture.request(before: 3_500))
        #expect(first.leftovers == 1 && first.objects == 6, "\(first.line)")
        #expect(try await !fixture.existing().contains(early))
        // Unnamed objects, and a named one a prune killed before its deletes would have left.
        // (The last one's companion is deleted with it and not counted: the summary counts objects.)
        let orphans = [
            "prod/topics/events/partition=0/events+0+0000000002.ktape.json",
            "prod/topics/events/partition=0/events+0+0000000005.ktape.json",
            "prod/topics/events/partition=1/events+1+0000000025.ktape.json",
            "prod/topics/events/partition=1/events+1+0000000025.keys.json"
        ]
        let named = try #require(fixture.keys[0]?.first)
        for key in orphans + [named] { try await fixture.store.put(key, body: Array("{\"n\":1}\n".utf8)) }
        let before = try await fixture.existing()

        let dry = try await PruneEngine.run(try fixture.request(before: 3_500, dryRun: true))
        #expect(dry.leftovers == 4 && dry.objects == 0)
        #expect(try await fixture.existing() == before)
        let summary = try await PruneEngine.run(try fixture.request(before: 3_500))
        #expect(summary.leftovers == 4, "\(summary.line)")
        #expect(summary.line.contains(", and 4 objects earlier prunes or killed runs left below the first kept offsets"), "\(summary.line)")
        #expect(try await fixture.existing() == before.subtracting(orphans + [named]))
        #expect(try await fixture.verify().problems.isEmpty)
    }

    /// A prune record that puts a partition's start past what the runs covered (no prune writes
    /// that: damage, or another store's record) made every object of the partition a leftover, and
    /// a prune deleted them all while verify only warned. Now prune refuses, deleting nothing, and
    /// verify names it a problem.
    @Test func aPruneRecordPastTheCoveredEndIsRefusedAndAProblem() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000])
        let damaged = PrunedState.Partition(
            topic: "events", partition: 0, firstOffset: 1_000, prunedAt: Date(), pruneId: "prune-0000beef", objects: 0, records: 0,
            bytes: 0)
        _ = try await PrunedStateKeeper.record([damaged], store: fixture.store, layout: fixture.layout)
        let before = try await fixture.existing()
        let error = await #expect(throws: RunFailure.self) { try await PruneEngine.run(try fixture.request(before: 5_000)) }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.contains("events/0 starts at offset 1000, past the end 20 the store's runs covered") == true,
            "\(error?.message ?? "")")
        #expect(try await fixture.existing() == before)
        let problems = try await fixture.verify().problems
        #expect(problems.contains { "\($0)".contains("events/0") && "\($0)".contains("prune record past the end") }, "\(problems)")
    }

    /// A prune claims the topics the store index names when it starts; a topic whose first backup
    /// wrote its manifest since (not yet in the index) is not pruned, as its lease does not cover it.
    @Test func onlyTheTopicsItsLeaseClaimsArePruned() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        var manifests: [RunManifest] = []
        for object in try await fixture.store.listAll(prefix: fixture.layout.runsFolder) {
            manifests.append(try RunManifest.decode(try await fixture.store.get(object.key), name: object.key, layout: fixture.layout))
        }
        try await IndexKeeper.fold(manifests, store: fixture.store, layout: fixture.layout)
        try await fixture.run(times: [1_000, 2_000, 3_000], topic: "fresh")
        let summary = try await PruneEngine.run(try fixture.request(before: 2_500))
        #expect(Set(summary.partitions.map(\.topic)) == ["events"], "\(summary.line)")
        let fresh = try await fixture.store.listAll(prefix: fixture.layout.topicFolder("fresh")).map(\.key)
        #expect(fresh.count == 9, "\(fresh)")  // 3 objects in each of 2 partitions, and partition 1's companions
    }

    @Test func aNewerObjectStopsThePartitionSoNoHoleIsLeft() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 9_000, 2_000])
        let summary = try await PruneEngine.run(try fixture.request(before: 5_000))
        #expect(summary.partitions.map(\.objects) == [1, 1])
        #expect(summary.partitions.map(\.newFirstOffset) == [10, 10])
        #expect(try await fixture.verify().problems.isEmpty)
    }

    @Test func objectLockKeepsAnObjectNamesItAndStopsThere() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000], lock: { p, index in p == 0 && index == 1 })
        let summary = try await PruneEngine.run(try fixture.request(before: 9_000))
        #expect(summary.partitions.map(\.objects) == [1, 3])
        #expect(summary.keptLocked == [fixture.keys[0]?[1]].compactMap { $0 })
        #expect(summary.line.contains("1 kept by Object Lock"), "\(summary.line)")
        #expect(try await fixture.verify().problems.isEmpty)
    }

    /// Object Lock is looked up for many objects at once (a HEAD each on S3: one after another, the
    /// first prune of a long history took hours), and the partition still stops at the first kept.
    @Test func lockLookupsRunSideBySideAndStillStopAtTheFirstKept() async throws {
        let counting = InFlightHeads(forwardee: MemoryStore())
        let fixture = PruneFixture(store: counting)
        try await fixture.run(times: (1...40).map { Int64($0) * 100 }, perObject: 1, lock: { p, index in p == 0 && index == 21 })
        let summary = try await PruneEngine.run(try fixture.request(before: 9_000))
        #expect(summary.partitions.map(\.objects) == [21, 40])
        #expect(summary.keptLocked == [fixture.keys[0]?[21]].compactMap { $0 })
        #expect(counting.most > 1 && counting.most <= 16, "\(counting.most) HEADs at once")
        #expect(try await fixture.verify().problems.isEmpty)
    }

    @Test func aDryRunChangesNothing() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000])
        let before = try await fixture.existing()
        let summary = try await PruneEngine.run(try fixture.request(before: 5_000, dryRun: true))
        #expect(summary.dryRun && summary.objects == 4)
        #expect(try await fixture.existing() == before)
        #expect(!(try await fixture.store.exists(fixture.layout.prunedKey)))
        #expect(!(try await fixture.store.exists(fixture.layout.storeLockKey)))
    }

    @Test func onlyTheSelectedTopicsArePruned() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000])
        // A name the store holds no record of is said, not passed over (a typo pruned nothing quietly).
        let warnings = Lines()
        var request = try fixture.request(before: 5_000, topics: ["other"])
        request.warn = { warnings.append($0) }
        #expect(try await PruneEngine.run(request).objects == 0)
        #expect(try await fixture.existing().count == 3)
        #expect(
            warnings.all == ["--topics other: the store holds no record of it, so nothing of it is pruned (the store's topics: events)"])
    }

    @Test func aPruneIsRefusedBesideABackupOfTheSameTopic() async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000])
        let now = Date()
        let backup = LeaseTable.Lease(
            runId: "20261205T000000.000Z-all-00000001", command: "backup", job: "nightly", holder: "otherhost pid 1",
            claims: [LeaseTable.Claim(topic: "events")], acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        try await fixture.store.put(fixture.layout.storeLockKey, body: Array(try LeaseTable(leases: [backup]).encoded()))
        let error = await #expect(throws: RunFailure.self) { try await PruneEngine.run(try fixture.request(before: 5_000)) }
        #expect(error?.message.contains("topic events is held by backup of job nightly") == true, "\(error?.message ?? "")")
        #expect(try await fixture.existing().count == 3)
    }

    /// A prune stopped after any number of requests (as a SIGKILL stops it) leaves a store that
    /// verify passes, and a rerun ends where an uninterrupted prune ends.
    @Test(arguments: Array(1...32))
    func aPruneKilledAtAnyPointLeavesAWholeStoreAndARerunFinishes(_ requests: Int) async throws {
        let fixture = PruneFixture()
        try await fixture.run(times: [1_000, 2_000, 3_000])
        try await fixture.run(times: [4_000])
        let dying = DyingStore(base: fixture.store, after: requests)
        var killed = try fixture.request(before: 3_500, store: dying)
        // Its lease names a process of this host that is gone, as a SIGKILL'd prune's does.
        let gone = ChildProcess()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        killed.holder = LockHolder.named(pid: gone.processIdentifier)
        _ = try? await PruneEngine.run(killed)
        let report = try await fixture.verify()
        #expect(report.problems.isEmpty, "after \(requests) requests: \(report.problems)")
        _ = try await PruneEngine.run(try fixture.request(before: 3_500))
        let pruned = try await PrunedStateKeeper.read(store: fixture.store, layout: fixture.layout)
        #expect(pruned.partitions.map(\.firstOffset) == [30, 30])
        #expect(
            try await fixture.existing()
                == Set(
                    (fixture.keys[0] ?? []).suffix(1) + (fixture.keys[1] ?? []).suffix(1)
                        + ["prod/topics/events/partition=1/events+1+0000000030.keys.json"]))
        #expect(try await fixture.verify().problems.isEmpty)
    }
}

/// Passes `after` requests to its base store, then fails every one, as a process killed at that point.
// @unchecked Sendable: its mutable state is under `lock`.
final class DyingStore: ObjectStore, @unchecked Sendable {
    let base: any ObjectStore
    private let lock = NSLock()
    private var left: Int
    var location: String { base.location }

    init(base: any ObjectStore, after: Int) {
        self.base = base
        left = after
    }

    private func step() throws {
        let alive = lock.withLock {
            defer { left -= 1 }
            return left > 0
        }
        if !alive { throw StoreError(.io, operation: "request", location: location, message: "the process was killed") }
    }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        try step()
        return try await base.put(key, body: body, options: options)
    }
    func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        try step()
        return try await base.createMultipartUpload(key, options: options)
    }
    func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        try step()
        return try await base.uploadPart(key, uploadId: uploadId, partNumber: partNumber, body: body)
    }
    func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        try step()
        return try await base.completeMultipartUpload(key, uploadId: uploadId, parts: parts)
    }
    func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        try step()
        try await base.abortMultipartUpload(key, uploadId: uploadId)
    }
    func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try step()
        return try await base.listMultipartUploads(prefix: prefix)
    }
    func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        try step()
        return try await base.get(key, range: range)
    }
    func getTagged(_ key: String) async throws -> TaggedObject {
        try step()
        return try await base.getTagged(key)
    }
    func head(_ key: String) async throws -> ObjectInfo {
        try step()
        return try await base.head(key)
    }
    func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        try step()
        return try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
    }
    func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary] {
        try step()
        return try await base.listAll(prefix: prefix, startAfter: startAfter)
    }
    func delete(_ key: String, ifMatch: String?) async throws {
        try step()
        try await base.delete(key, ifMatch: ifMatch)
    }
    // One key at a time, so a kill can fall between any two deletes.
    func delete(keys: [String]) async throws { for key in keys { try await delete(key) } }
}

/// Prune against moto's S3 server (signatures checked), on a bucket with Object Lock.
@Suite struct S3PruneTests {
    @Test func aLockedObjectOnS3IsKeptAndNamedAndTheRestGoes() async throws {
        let store = try await S3TestServer.shared.value.freshStore(objectLock: true)
        let fixture = PruneFixture(store: store)
        try await fixture.run(times: [1_000, 2_000, 3_000], lock: { p, index in p == 1 && index == 2 })
        try await fixture.run(times: [9_000])
        let summary = try await PruneEngine.run(try fixture.request(before: 5_000))
        #expect(summary.partitions.map(\.objects) == [3, 2])
        #expect(summary.keptLocked == [fixture.keys[1]?[2]].compactMap { $0 })
        let pruned = try await PrunedStateKeeper.read(store: store, layout: fixture.layout)
        #expect(pruned.partitions.map(\.firstOffset) == [30, 20])
        let report = try await fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.recordsChecked == 10 + 20)
    }

    /// A bucket without Object Lock can hold no locked object: prune asks the bucket once, not each
    /// object it removes with a HEAD. A bucket with Object Lock is still asked object by object.
    @Test(arguments: [false, true]) func aBucketWithoutObjectLockIsNotAskedPerObject(objectLock: Bool) async throws {
        let counting = InFlightHeads(forwardee: try await S3TestServer.shared.value.freshStore(objectLock: objectLock))
        #expect(await counting.objectLockEnabled() == (objectLock ? true : false))
        let fixture = PruneFixture(store: counting)
        try await fixture.run(times: [1_000, 2_000, 3_000])
        try await fixture.run(times: [9_000])
        let summary = try await PruneEngine.run(try fixture.request(before: 5_000))
        #expect(summary.partitions.map(\.objects) == [3, 3])
        #expect(counting.total == (objectLock ? 6 : 0))
        #expect(try await fixture.verify().problems.isEmpty)
    }

    /// A legal hold is Object Lock too: the object stays and its partition stops there (before, prune
    /// looked at retention dates only and put a delete marker on it).
    @Test func anObjectUnderALegalHoldIsKept() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore(objectLock: true)
        let fixture = PruneFixture(store: store)
        try await fixture.run(times: [1_000, 2_000, 3_000])
        let held = try #require(fixture.keys[0]?[1])
        let bucket = store.config.bucket
        try await AWSCLI.run(
            ["s3api", "put-object-legal-hold", "--bucket", bucket, "--key", held, "--legal-hold", "Status=ON"], server: server)
        let summary = try await PruneEngine.run(try fixture.request(before: 5_000))
        #expect(summary.partitions.map(\.objects) == [1, 3])
        #expect(summary.keptLocked == [held])
        #expect(try await store.head(held).legalHold)
    }
}

/// Counts the HEADs in flight at once, each held for a moment so that overlapping ones meet.
// @unchecked Sendable: its mutable state is under `lock`.
final class InFlightHeads: ForwardingStore, @unchecked Sendable {
    let forwardee: any ObjectStore
    private let lock = NSLock()
    private var now = 0
    private var highest = 0
    private var count = 0
    var most: Int { lock.withLock { highest } }
    var total: Int { lock.withLock { count } }

    init(forwardee: any ObjectStore) { self.forwardee = forwardee }

    func head(_ key: String) async throws -> ObjectInfo {
        lock.withLock {
            now += 1
            count += 1
            highest = max(highest, now)
        }
        defer { lock.withLock { now -= 1 } }
        try await Task.sleep(for: .milliseconds(20))
        return try await forwardee.head(key)
    }
}
