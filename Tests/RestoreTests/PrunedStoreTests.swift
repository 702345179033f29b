import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import StoreMetadata
import Testing
import RecordFormats

/// Restore of a pruned store (what remains, no flags) and of one whose oldest objects were deleted
/// by hand (refused, unless the restore starts after them or accepts the loss).
@Suite struct PrunedStoreTests {
    func setup() async throws -> (KafkaMockCluster, StoreFixture, [Int32: [RecordFormats.KafkaRecord]], RunManifest) {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records: [Int32: [RecordFormats.KafkaRecord]] = [
            0: awkwardRecords(count: 20, partition: 0), 1: awkwardRecords(count: 15, partition: 1)
        ]
        let manifest = try await fixture.writeRun(["events": records], partitionCounts: ["events": 2], perObject: 5)
        try cluster.createTopic("events", partitions: 2)
        return (cluster, fixture, records, manifest)
    }

    func first(_ count: Int, of manifest: RunManifest, partition: Int32) -> [ManifestObject] {
        Array(manifest.objects(topic: "events", partition: partition).prefix(count))
    }

    @Test func aPrunedStoreRestoresWhatRemains() async throws {
        let (cluster, fixture, records, manifest) = try await setup()
        let pruned = first(2, of: manifest, partition: 0)
        try await PrunedStateKeeper.record(
            [
                PrunedState.Partition(
                    topic: "events", partition: 0, firstOffset: 10, prunedAt: Date(),
                    pruneId: "p", objects: 2, records: 10, bytes: 0)
            ],
            store: fixture.store, layout: fixture.layout)
        for object in pruned { try await fixture.store.delete(object.key) }
        let result = try await restore(fixture, mockOptions(cluster))
        #expect(result.summary.producedRecords == 25)
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        #expect(differences(expected: Array((records[0] ?? []).dropFirst(10)), got: got[0] ?? []) == [])
        #expect(differences(expected: records[1] ?? [], got: got[1] ?? []) == [])
    }

    /// A prune record with one digit changed after it was written (a damaged copy) would have left
    /// records out of the restore, exit 0 (`firstOffset` 10 read as 19 dropped 5 more): it is refused
    /// before anything is produced, naming the record.
    @Test func aPruneRecordChangedAfterItsWriteIsRefused() async throws {
        let (cluster, fixture, _, _) = try await setup()
        try await PrunedStateKeeper.record(
            [
                PrunedState.Partition(
                    topic: "events", partition: 0, firstOffset: 10, prunedAt: Date(),
                    pruneId: "p", objects: 2, records: 10, bytes: 0)
            ],
            store: fixture.store, layout: fixture.layout)
        let text = String(decoding: try await fixture.store.get(fixture.layout.prunedKey), as: UTF8.self)
        #expect(text.contains("\"firstOffset\" : 10,"))
        let damaged = text.replacingOccurrences(of: "\"firstOffset\" : 10,", with: "\"firstOffset\" : 19,")
        try await fixture.store.put(fixture.layout.prunedKey, body: Array(damaged.utf8))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)) }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.hasPrefix("prune record \(fixture.layout.prunedKey): changed after ktape wrote it") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2).values.allSatisfy(\.isEmpty))
    }

    /// A prune that removes an object while the restore reads it: the restore says so (exit 2, as
    /// its rerun's verdict is), where it said "deleted while the restore ran?", exit 1, worth a retry.
    @Test func anObjectPrunedWhileTheRestoreReadsItIsNamedPruned() async throws {
        final class PruningAtFirstRead: ForwardingStore, @unchecked Sendable {
            let forwardee: any ObjectStore
            let layout: StoreLayout
            let gone: [String]
            private let lock = NSLock()
            private var pruned = false
            init(_ base: any ObjectStore, layout: StoreLayout, gone: [String]) {
                forwardee = base
                self.layout = layout
                self.gone = gone
            }
            func head(_ key: String) async throws -> ObjectInfo {
                if key == gone.last,
                    lock.withLock({ () -> Bool in
                        defer { pruned = true }
                        return !pruned
                    })
                {
                    try await PrunedStateKeeper.record(
                        [
                            PrunedState.Partition(
                                topic: "events", partition: 0, firstOffset: 15, prunedAt: Date(), pruneId: "p", objects: 3, records: 15,
                                bytes: 0)
                        ], store: forwardee, layout: layout)
                    for key in gone { try await forwardee.delete(key) }
                }
                return try await forwardee.head(key)
            }
        }
        let (cluster, fixture, _, manifest) = try await setup()
        let gone = first(3, of: manifest, partition: 0).map(\.key)
        let store = PruningAtFirstRead(fixture.store, layout: fixture.layout, gone: gone)
        let error = await #expect(throws: RunFailure.self) { try await restore(StoreFixture(store: store), mockOptions(cluster)) }
        #expect(error?.isInvalidInput == true, "\(error?.message ?? "")")
        // Whichever of the removed objects the restore meets first (it opens objects ahead).
        let message = error?.message ?? ""
        #expect(
            gone.contains {
                message.hasPrefix(
                    "object \($0) is gone: ktape prune removed it while this restore read it (events/0 now starts at offset 15)")
            }, "\(message)")
        // The line sends the user to the dry run, which must name the partition and the way on.
        #expect(message.hasSuffix("the same restore with --dry-run names each partition this leaves and the way on"), "\(message)")
        var dry = mockOptions(cluster)
        dry.dryRun = true
        let planned = try await restore(fixture, dry)
        #expect(planned.summary.problems.contains { $0.hasPrefix("events/0: ") }, "\(planned.summary.problems)")
    }

    @Test func deletedOldestObjectsStopARestoreThatNeedsThem() async throws {
        let (cluster, fixture, records, manifest) = try await setup()
        for object in first(2, of: manifest, partition: 0) { try await fixture.store.delete(object.key) }

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)) }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("events/0 offsets [0, 10) (2 objects)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("--allow-missing") == true)
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2).values.allSatisfy(\.isEmpty))

        // Starting after the missing range needs none of it: no flag, nothing missing reported.
        var later = mockOptions(cluster)
        later.fromTime = (records[0] ?? [])[10].timestamp
        let fromLater = try await restore(fixture, later)
        #expect(fromLater.summary.missingRanges.isEmpty)
        #expect(fromLater.summary.producedRecords == 25)
    }

    /// Data objects are found in the listing by name, companions by key: a missing companion stops
    /// the restore too, and an object and companion both listed are not missing.
    @Test func aMissingCompanionStopsARestoreThatNeedsIt() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        var edited = manifest
        let objects = first(2, of: manifest, partition: 1)
        var companions: [String] = []
        for object in objects {
            let index = try #require(edited.objects.firstIndex { $0.key == object.key })
            let companion = String(object.key.dropLast(".ktape.json".count)) + ".keys.json"
            edited.objects[index].companionKeys = [companion]
            companions.append(companion)
        }
        try await fixture.store.put(fixture.layout.runManifestKey(manifest.runId), body: Array(try edited.encoded(layout: fixture.layout)))
        try await fixture.store.put(companions[0], body: Array("{}\n".utf8))

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)) }
        #expect(error?.message.contains("events/1 offsets [5, 10) (1 object)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("events/1 offsets [0, 5)") == false, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2).values.allSatisfy(\.isEmpty))
    }

    @Test func allowMissingRestoresWhatIsThereAndListsTheMissingRanges() async throws {
        let (cluster, fixture, records, manifest) = try await setup()
        for object in first(2, of: manifest, partition: 0) { try await fixture.store.delete(object.key) }
        var options = mockOptions(cluster)
        options.allowMissing = true
        let result = try await restore(fixture, options)
        #expect(result.summary.missingRanges == ["events/0 offsets [0, 10) (2 objects)"])
        #expect(result.summary.producedRecords == 25)
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        #expect(differences(expected: Array((records[0] ?? []).dropFirst(10)), got: got[0] ?? []) == [])
        // A rerun finds everything there.
        let rerun = try await restore(fixture, options)
        #expect(rerun.summary.producedRecords == 0 && rerun.summary.alreadyPresentRecords == 25)
    }

    /// The dry run lists a problem that starts with `expected`, and the rerun stops (exit 2) before
    /// producing anything; returns the rerun's line.
    func refusedRerun(_ fixture: StoreFixture, _ cluster: KafkaMockCluster, naming expected: String) async throws -> String {
        var dry = mockOptions(cluster)
        dry.dryRun = true
        let problems = try await restore(fixture, dry).summary.problems
        #expect(problems.contains { $0.hasPrefix(expected) }, "\(problems)")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        return error?.message ?? ""
    }

    /// Records `objects`' removal from events/`partition` as `ktape prune` does (the record first, then the deletes).
    func prune(_ objects: [ManifestObject], from fixture: StoreFixture, partition: Int32 = 0) async throws {
        let last = try #require(objects.last)
        try await PrunedStateKeeper.record(
            [
                PrunedState.Partition(
                    topic: "events", partition: partition, firstOffset: last.spanEnd, prunedAt: Date(), pruneId: "p",
                    objects: Int64(objects.count), records: objects.reduce(0) { $0 + $1.recordCount }, bytes: 0)
            ],
            store: fixture.store, layout: fixture.layout)
        for object in objects { try await fixture.store.delete(object.key) }
    }

    /// A restore, then a prune of objects it restored, then a new backup run: the rerun restores the
    /// new records only (the pruned ones are in the target, before the plan's first), and its dry
    /// run sees no problem.
    /// As many new records as pruned ones (prune's steady state) must not pass for a finished partition.
    @Test(arguments: [3, 10])
    func aRestoreCatchesUpAfterThePruneOfWhatItRestored(newRecords: Int) async throws {
        let (cluster, fixture, records, manifest) = try await setup()
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 35)
        try await prune(first(2, of: manifest, partition: 0), from: fixture)
        let added = awkwardRecords(count: newRecords, partition: 0, firstOffset: 20, salt: "new")
        try await fixture.writeRun(["events": [0: added]], partitionCounts: ["events": 2], perObject: 5)

        var dry = mockOptions(cluster)
        dry.dryRun = true
        let planned = try await restore(fixture, dry)
        #expect(planned.summary.problems == [])
        #expect(planned.plan.topics.map(\.toProduce) == [Int64(newRecords)])
        #expect(planned.plan.text.contains("; 35 already in the target (an earlier run); \(newRecords) to produce"), "\(planned.plan.text)")
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.producedRecords == Int64(newRecords))
        #expect(rerun.summary.alreadyPresentRecords == 35)
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        #expect(differences(expected: (records[0] ?? []) + added, got: got[0] ?? []) == [])
        #expect(differences(expected: records[1] ?? [], got: got[1] ?? []) == [])
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 0)
    }

    /// A catch-up restore's rerun reads the object with its target's last record again (to compare
    /// it); a prune removing that object meanwhile, every record of it confirmed, is a failure a rerun
    /// cures (exit 1), not "removed before its records were restored" (exit 2); and the rerun does.
    @Test func aPruneOfAConfirmedObjectWhileTheRerunReadsItIsRetried() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let base = MemoryStore()
        let fixture = StoreFixture(store: base)
        let records = awkwardRecords(count: 20, partition: 0)
        let manifest = try await fixture.writeRun(["events": [0: records]], partitionCounts: ["events": 1], perObject: 5)
        try cluster.createTopic("events", partitions: 1)
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 20)
        let added = awkwardRecords(count: 10, partition: 0, firstOffset: 20, salt: "new")
        try await fixture.writeRun(["events": [0: added]], partitionCounts: ["events": 1], perObject: 5)
        let old = manifest.objects(topic: "events", partition: 0)
        let lastOld = try #require(old.last).key
        // The prune lands as the rerun asks for the object with the target's last record.
        let pruning = HookStore(base: base, onGet: true, when: { $0 == lastOld }) {
            try? await self.prune(old, from: fixture)
        }

        let error = await #expect(throws: RunFailure.self) {
            try await restore(StoreFixture(store: pruning, layout: fixture.layout), mockOptions(cluster)).summary.line
        }
        #expect(error?.isInvalidInput == false, "\(error?.message ?? "")")
        #expect(error?.message.contains("read it again to find its place in events/0") == true, "\(error?.message ?? "")")
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.producedRecords == 10)
        let got = try readTarget(cluster.config, topic: "events", partitions: 1)
        #expect(differences(expected: records + added, got: got[0] ?? []) == [])
    }

    /// A restore, then a prune of records it restored, then the same restore again: a group offset
    /// among the pruned records is placed among the target's records as the first restore placed it.
    /// Before, partition 0's went to the first record the plan still had (past records the group
    /// never read) and partition 1's, pruned whole, to the target's end. Partition 1 lacks every odd
    /// offset (compacted), which the pruned objects no longer say: its offset is placed no later
    /// than exact, so the group's consumers may read records again but never skip one.
    @Test func groupOffsetsAmongPrunedRecordsKeepTheirPlaceOnARerun() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let dense = awkwardRecords(count: 20, partition: 0)
        let sparse = awkwardRecords(count: 15, partition: 1).enumerated().map { n, record -> RecordFormats.KafkaRecord in
            var r = record
            r.offset = Int64(n) * 2
            return r
        }
        let saved = [
            ManifestGroupOffset(group: "g", topic: "events", partition: 0, offset: 7),
            ManifestGroupOffset(group: "g", topic: "events", partition: 1, offset: 9)
        ]
        let manifest = try await fixture.writeRun(
            ["events": [0: dense, 1: sparse]], partitionCounts: ["events": 2], perObject: 5, groupOffsets: saved)
        try cluster.createTopic("events", partitions: 2)
        try produceStrays(cluster, topic: "events", partition: 0, values: (0..<3).map { [UInt8($0)] })
        var options = mockOptions(cluster)
        options.consumerGroups = .regex(try WholeNameRegex("g"))
        let admin = try KafkaAdmin(config: cluster.config)
        let partitions = [TopicPartition(topic: "events", partition: 0), TopicPartition(topic: "events", partition: 1)]
        // Partition 0 begins at target offset 3 (the strays); 5 of partition 1's records are below 9.
        let exact: [Int64?] = [3 + 7, 5]

        #expect(try await restore(fixture, options).summary.producedRecords == 35)
        #expect(try partitions.map { try admin.committedOffsets(group: "g", partitions: [$0])[$0] ?? nil } == exact)

        try await prune(first(2, of: manifest, partition: 0), from: fixture)
        try await prune(first(3, of: manifest, partition: 1), from: fixture, partition: 1)
        try admin.commitOffsets(group: "g", offsets: [partitions[0]: 1, partitions[1]: 1])
        let rerun = try await restore(fixture, options)
        #expect(rerun.summary.producedRecords == 0)
        let committed = try partitions.map { try admin.committedOffsets(group: "g", partitions: [$0])[$0] ?? nil }
        #expect(committed[0] == exact[0])
        // 15 records confirmed below offset 29: at most 20 of them lie at or after 9, so at least none before it.
        #expect(committed[1] == 0)
    }

    /// A migration's scheduled restore, caught up, then a prune of every object: done, nothing
    /// produced and what it had restored already present (it was exit 2, "nothing to restore", until
    /// the next backup). Into a cluster no restore with these settings filled, still nothing to restore.
    @Test func aCaughtUpRestoreOfAStorePrunedWholeIsDone() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 35)
        try await prune(manifest.objects(topic: "events", partition: 0), from: fixture)
        try await prune(manifest.objects(topic: "events", partition: 1), from: fixture, partition: 1)
        var dry = mockOptions(cluster)
        dry.dryRun = true
        #expect(try await restore(fixture, dry).summary.problems == [])
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.producedRecords == 0 && rerun.summary.alreadyPresentRecords == 35, "\(rerun.summary.line)")
        #expect(rerun.summary.warnings == ["topic events: every object was pruned (ktape ls shows what and when)"])

        let fresh = try KafkaMockCluster(brokers: 1)
        try fresh.createTopic("events", partitions: 2)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(fresh)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message == "nothing to restore: topic events: every object was pruned (ktape ls shows what and when)")
    }

    /// The same for a restore whose topic-regex-list took one partition's files (the other partition
    /// has no state and was not selected); a --repartition restore's entries say nothing of the
    /// pruned source partitions, so it is "nothing to restore", not a false "left out" line.
    @Test func aCaughtUpRestoreOfSomeFilesOrRepartitionedIsToldApart() async throws {
        let (_, fixture, _, manifest) = try await setup()
        let files = try KafkaMockCluster(brokers: 1)
        try files.createTopic("events", partitions: 2)
        var selected = mockOptions(files)
        selected.topicRegexList = try TopicRegexList(parsing: "events:events\\+0\\+.*")
        #expect(try await restore(fixture, selected).summary.producedRecords == 20)
        let spread = try KafkaMockCluster(brokers: 1)
        try spread.createTopic("events", partitions: 3)
        var repartitioned = mockOptions(spread)
        repartitioned.repartition = true
        #expect(try await restore(fixture, repartitioned).summary.producedRecords == 35)

        try await prune(manifest.objects(topic: "events", partition: 0), from: fixture)
        try await prune(manifest.objects(topic: "events", partition: 1), from: fixture, partition: 1)
        let rerun = try await restore(fixture, selected)
        #expect(rerun.summary.producedRecords == 0 && rerun.summary.alreadyPresentRecords == 20, "\(rerun.summary.line)")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, repartitioned).summary.line }
        #expect(error?.message == "nothing to restore: topic events: every object was pruned (ktape ls shows what and when)")
    }

    /// A restore bounded by --to-time or --as-of is done at its bound whatever a prune removes past it:
    /// its state names no source partition, so no prune warns of it; an unbounded one's does.
    @Test func onlyUnboundedRestoresNameTheirSourcePartitions() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        func sources(_ options: RestoreOptions, topic: String) async throws -> [Int32?] {
            _ = try await restore(fixture, options)
            let key = fixture.layout.restoreStateKey(targetCluster: try targetName(options.kafka), topic: topic)
            return try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key).partitions.map(\.sourcePartition)
        }
        var bounded = mockOptions(cluster)
        bounded.toTime = 1_700_000_000_000 + 5
        bounded.rename = try RegexRouter(regex: "events", replacement: "bounded")
        try cluster.createTopic("bounded", partitions: 2)
        // Partition 1's records all lie after the bound: only partition 0 is restored.
        #expect(try await sources(bounded, topic: "bounded") == [nil])
        var asOf = mockOptions(cluster)
        asOf.asOf = manifest.runId
        asOf.rename = try RegexRouter(regex: "events", replacement: "as-of")
        try cluster.createTopic("as-of", partitions: 2)
        #expect(try await sources(asOf, topic: "as-of") == [nil, nil])
        #expect(try await sources(mockOptions(cluster), topic: "events") == [0, 1])
    }

    /// A partition the topic-regex-list does select, whose records came after the restore and were
    /// pruned before it ran again, was never restored: "nothing to restore", not "N already present".
    @Test func aSelectedPartitionNeverRestoredKeepsAPrunedWholeStoreRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("events", partitions: 2)
        let fixture = StoreFixture()
        let first = try await fixture.writeRun(
            ["events": [0: awkwardRecords(count: 10, partition: 0)]], partitionCounts: ["events": 2], perObject: 5)
        var options = mockOptions(cluster)
        options.topicRegexList = try TopicRegexList(parsing: "events:.*")
        #expect(try await restore(fixture, options).summary.producedRecords == 10)
        let later = try await fixture.writeRun(
            ["events": [1: awkwardRecords(count: 10, partition: 1)]], partitionCounts: ["events": 2], perObject: 5)
        try await prune(first.objects(topic: "events", partition: 0), from: fixture)
        try await prune(later.objects(topic: "events", partition: 1), from: fixture, partition: 1)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(
            error?.message == "nothing to restore: topic events: every object was pruned (ktape ls shows what and when)",
            "\(error?.message ?? "")")
    }

    /// As of an early run, a later prune may have passed everything that run covered: "every object
    /// as of run … was pruned", not a damaged prune record (which it was taken for: "prune record past the end …
    /// it is damaged, or another store's"). Past what every run covered, it still is damage.
    @Test func asOfARunAPruneHasPassedIsPrunedNotDamaged() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        var runs: [RunManifest] = []
        for first in stride(from: Int64(0), to: 15, by: 5) {
            let records = awkwardRecords(count: 5, partition: 0, firstOffset: first)
            runs.append(try await fixture.writeRun(["events": [0: records]], partitionCounts: ["events": 1], perObject: 5))
        }
        try cluster.createTopic("events", partitions: 1)
        try await prune(runs[0].objects + runs[1].objects, from: fixture)
        var options = mockOptions(cluster)
        for run in runs.prefix(2) {
            options.asOf = run.runId
            let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
            #expect(error?.isInvalidInput == true)
            #expect(
                error?.message.hasPrefix("nothing to restore: topic events: every object as of run \(run.runId) was pruned") == true,
                "\(error?.message ?? "")")
        }
        options.asOf = runs[2].runId
        #expect(try await restore(fixture, options).summary.producedRecords == 5)

        try await PrunedStateKeeper.record(
            [
                PrunedState.Partition(
                    topic: "events", partition: 0, firstOffset: 1_000, prunedAt: Date(), pruneId: "p", objects: 0, records: 0, bytes: 0)
            ],
            store: fixture.store, layout: fixture.layout)
        for asOf in [nil, runs[2].runId] {
            options.asOf = asOf
            let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
            #expect(error?.message.contains("prune record past the end") == true, "\(error?.message ?? "")")
        }
    }

    /// A catch-up restore killed half-way, then the prune of records it had confirmed: the rerun (and
    /// its dry run's count) produces the rest once each, by offset.
    @Test func aKilledRestoreResumesAfterThePruneOfWhatItConfirmed() async throws {
        let (cluster, fixture, records, manifest) = try await setup()
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 35)
        let added = awkwardRecords(count: 10, partition: 0, firstOffset: 20, salt: "new")
        try await fixture.writeRun(["events": [0: added]], partitionCounts: ["events": 2], perObject: 5)
        // Killed with 5 new records landed that its state does not count yet.
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, mockOptions(cluster), killedAfter: 5).summary.line }
        try await prune(first(2, of: manifest, partition: 0), from: fixture)
        var dry = mockOptions(cluster)
        dry.dryRun = true
        let planned = try await restore(fixture, dry)
        #expect(planned.summary.problems == [])
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.producedRecords == 5)
        #expect(planned.plan.topics.map(\.toProduce) == [5])
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        #expect(differences(expected: (records[0] ?? []) + added, got: got[0] ?? []) == [])
        #expect(differences(expected: records[1] ?? [], got: got[1] ?? []) == [])
    }

    /// A restore stopped before its state confirmed any record, then a prune: the target's records
    /// cannot be placed, and the rerun says so instead of claiming the restore got to offset -1.
    @Test func aPruneAfterARestoreThatConfirmedNothingIsExplained() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        var options = mockOptions(cluster)
        options.stateInterval = 10_000
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 12).summary.line }
        try await prune(first(2, of: manifest, partition: 0), from: fixture)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.hasPrefix("events/0: events/0 holds 12 records of this restore, which its state does not place") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains("offset -1") == false)
    }

    /// A restore stopped before it reached partition 1, then a prune of partition 1's first records:
    /// the rerun would restore the partition from after them as if it began there. It stops instead,
    /// naming every partition the prune cut off in one line (its dry run too).
    @Test func aPruneOfAPartitionTheRestoreHadNotBegunStopsItsRerun() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        // Stopped inside partition 0 (20 records, the prune below takes its first 10): both partitions are cut off.
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, mockOptions(cluster), killedAfter: 5).summary.line }
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2)[1]?.count ?? 0 == 0)
        try await prune(first(2, of: manifest, partition: 0), from: fixture)
        try await prune(first(2, of: manifest, partition: 1), from: fixture, partition: 1)

        let expected =
            "events/1: ktape prune removed offsets 0…9 from the store after this restore began and before it restored any of them into events/1"
        let message = try await refusedRerun(fixture, cluster, naming: expected)
        #expect(message.hasPrefix("2 problems: events/0: "), "\(message)")
        #expect(message.contains("; " + expected), "\(message)")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2)[1]?.count ?? 0 == 0)
    }

    /// The same when the prune removed every object of the partition the restore had not reached:
    /// nothing of it is left to plan, and the rerun still names it.
    @Test func aPartitionPrunedWholeBeforeTheRestoreReachedItStopsItsRerun() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, mockOptions(cluster), killedAfter: 5).summary.line }
        try await prune(first(3, of: manifest, partition: 1), from: fixture, partition: 1)

        let expected =
            "events/1: ktape prune removed every object of the partition (offsets up to 14) after this restore began and before it restored offsets 0…14 into events/1"
        let message = try await refusedRerun(fixture, cluster, naming: expected)
        #expect(message.hasPrefix(expected), "\(message)")
        // A restore that begins after the prune restores what is left.
        try cluster.createTopic("fresh", partitions: 2)
        var fresh = mockOptions(cluster)
        fresh.rename = try RegexRouter(regex: "events", replacement: "fresh")
        #expect(try await restore(fixture, fresh).summary.producedRecords == 20)
    }

    /// Killed with records of partition 1 in the target that its state had not confirmed, then a
    /// prune of the whole partition: the rerun said none of it was restored and advised removing the
    /// partition's entry, after which a group's offset there went to the target's end, past records
    /// it never read. Now it says the target holds records that cannot be placed, and gives no such advice.
    @Test func aPartitionPrunedWholeWithUnconfirmedRecordsInTheTargetIsNamed() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        var options = mockOptions(cluster)
        options.stateInterval = 10_000
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 27).summary.line }
        #expect(try readTarget(cluster.config, topic: "events", partitions: 2)[1]?.count == 7)
        try await prune(first(3, of: manifest, partition: 1), from: fixture, partition: 1)

        let expected = "events/1: events/1 holds 7 records past the 0 this restore's state confirmed, and ktape prune has since removed"
        let message = try await refusedRerun(fixture, cluster, naming: expected)
        #expect(message.contains(expected), "\(message)")
        #expect(message.contains("restore into an empty topic"), "\(message)")
        #expect(!message.contains("remove partition 1's entry"), "\(message)")
    }

    /// A --repartition restore tells what its targets hold only by count, so it cannot resume past a
    /// prune made since it began: its rerun stops, and says the prune may be why.
    @Test func aRepartitionedRestoreStoppedByAPruneNamesIt() async throws {
        let (cluster, fixture, _, manifest) = try await setup()
        var options = mockOptions(cluster)
        options.repartition = true
        options.rename = try RegexRouter(regex: "events", replacement: "moved")
        try cluster.createTopic("moved", partitions: 3)
        #expect(try await restore(fixture, options).summary.producedRecords == 35)
        try await prune(first(2, of: manifest, partition: 0), from: fixture)
        let added = awkwardRecords(count: 3, partition: 0, firstOffset: 20, salt: "new")
        try await fixture.writeRun(["events": [0: added]], partitionCounts: ["events": 2], perObject: 5)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        let message = error?.message ?? ""
        #expect(message.contains("another producer wrote into it"), "\(message)")
        #expect(message.contains("a --repartition restore cannot resume past such a prune"), "\(message)")
        #expect(error?.isInvalidInput == true)
    }

    /// A prune that removed records the restore had not produced yet: the rerun (and its dry run)
    /// says so before producing anything, instead of restoring out of order.
    @Test func aPruneOfRecordsARestoreHadNotReachedStopsItsRerun() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 20, partition: 0)
        let firstRun = try await fixture.writeRun(["events": [0: Array(records.prefix(10))]], partitionCounts: ["events": 1], perObject: 5)
        try cluster.createTopic("events", partitions: 1)
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 10)
        let secondRun = try await fixture.writeRun(["events": [0: Array(records.suffix(10))]], partitionCounts: ["events": 1], perObject: 5)
        try await prune(first(2, of: firstRun, partition: 0) + first(1, of: secondRun, partition: 0), from: fixture)

        let expected =
            "events/0: ktape prune removed offsets 10…14 from the store after this restore had confirmed the partition up to offset 9"
        let message = try await refusedRerun(fixture, cluster, naming: expected)
        #expect(message.hasPrefix(expected), "\(message)")
        #expect(try readTarget(cluster.config, topic: "events", partitions: 1)[0]?.count == 10)
    }
}
