import Failures
import Foundation
import Gzip
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import StoreMetadata
import Testing
import RecordFormats

/// Damaged input ends in one line naming the object and line; nothing past it is produced, and a
/// rerun after the object is fixed continues without duplicates.
@Suite struct CorruptInputTests {
    /// Twelve records of topic `t` in objects of `perObject`, and a target topic `t` to restore into;
    /// in `late`'s store when given.
    func setUp(
        gzip: Bool = false, checksum: StoreFixture.Checksum = .sha256, perObject: Int = 4, late: LateChange? = nil,
        store: (any ObjectStore)? = nil
    ) async throws -> (KafkaMockCluster, StoreFixture, [RecordFormats.KafkaRecord], RunManifest) {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = (late ?? store).map { StoreFixture(store: $0) } ?? StoreFixture()
        let records = awkwardRecords(count: 12, partition: 0)
        let manifest = try await fixture.writeRun(
            ["t": [0: records]], partitionCounts: ["t": 1], perObject: perObject, gzip: gzip, checksum: checksum)
        try cluster.createTopic("t", partitions: 1)
        return (cluster, fixture, records, manifest)
    }

    /// A store in which an object changes when the restore first reads it: at its head, after the
    /// plan's listing, so that the reader itself must catch the damage; or at its first ranged GET,
    /// after the head gave the old size.
    // @unchecked Sendable: `change` is under `lock`.
    final class LateChange: ForwardingStore, @unchecked Sendable {
        enum Moment { case head, get }
        let base = MemoryStore(name: "memory://fixture")
        var forwardee: any ObjectStore { base }
        private let moment: Moment
        private let lock = NSLock()
        private var change: (key: String, body: [UInt8])?

        init(at moment: Moment = .head) { self.moment = moment }

        /// Puts `body` at `key` when `key` is next read at this store's moment.
        func set(_ key: String, _ body: [UInt8]) { lock.withLock { change = (key, body) } }

        /// Every read of the key waits for the change, so no read of it can see the old bytes after one saw the new.
        private func changeNow(reading key: String, at moment: Moment) async throws {
            guard moment == self.moment else { return }
            let pending: (key: String, body: [UInt8])? = lock.withLock {
                guard change?.key == key else { return nil }
                defer { change = nil }
                return change
            }
            if let pending { _ = try await base.put(pending.key, body: pending.body) }
        }

        func head(_ key: String) async throws -> ObjectInfo {
            try await changeNow(reading: key, at: .head)
            return try await base.head(key)
        }

        func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
            try await changeNow(reading: key, at: .get)
            return try await base.get(key, range: range)
        }
    }

    func envelope(_ records: ArraySlice<RecordFormats.KafkaRecord>) -> [UInt8] {
        var out: [UInt8] = []
        for record in records { EnvelopeEncoder.append(record, to: &out) }
        return out
    }

    /// Without a checksum in the manifest (as in a store without manifests), damage is found where it
    /// breaks a line.
    @Test func nonJSONLineStopsThereAndRerunContinues() async throws {
        let late = LateChange()
        let (cluster, fixture, records, manifest) = try await setUp(checksum: .none, late: late)
        let middle = manifest.objects[1].key
        var damaged = envelope(records[4..<6])
        damaged += Array("this is not json\n".utf8)
        damaged += envelope(records[7..<8])
        late.set(middle, damaged)

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.message.hasPrefix("object \(middle) line 3: ") == true)
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 6)

        try await fixture.store.put(middle, body: envelope(records[4..<8]))
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.alreadyPresentRecords == 6)
        #expect(differences(expected: records, got: try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []) == [])
    }

    @Test func truncatedGzipIsNamed() async throws {
        let late = LateChange()
        let (cluster, fixture, records, manifest) = try await setUp(gzip: true, checksum: .none, late: late)
        let last = manifest.objects[2].key
        let whole = try await fixture.store.get(last)
        late.set(last, Array(whole.prefix(whole.count - 9)))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.message.contains("object \(last)") == true)
        #expect(error?.message.contains("truncated") == true)
        // Placed in the stored object (where the data ends), not as "line 1" of its records.
        #expect(error?.message.contains("after \(whole.count - 9) bytes") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("line 1:") == false, "\(error?.message ?? "")")
        #expect((try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count ?? 0) <= 12)

        try await fixture.store.put(last, body: whole)
        try await restore(fixture, mockOptions(cluster))
        #expect(differences(expected: records, got: try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []) == [])
    }

    /// An object the manifests name but the store no longer holds is found before anything is produced.
    @Test func missingManifestObjectIsRefusedBeforeProducing() async throws {
        let (cluster, fixture, _, manifest) = try await setUp()
        try await fixture.store.delete(manifest.objects[1].key)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("t/0 offsets [4, 8) (1 object)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("--allow-missing") == true)
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// An object listed at another size than its manifest records (truncated in a copy) is found
    /// from the listing: the dry run names it, and the run stops before producing anything, with
    /// --allow-missing too (it is damage, not a missing object). A directory store lists sizes only
    /// when asked.
    @Test(arguments: [false, true])
    func objectOfTheWrongSizeIsRefusedBeforeProducing(directory: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let root = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let fixture = directory ? StoreFixture(store: try LocalDirectoryStore(root: root.path)) : StoreFixture()
        let manifest = try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: 12, partition: 0)]], partitionCounts: ["t": 1], perObject: 4)
        try cluster.createTopic("t", partitions: 1)
        let middle = manifest.objects[1]
        let whole = try await fixture.store.get(middle.key)
        try await fixture.store.put(middle.key, body: Array(whole.dropLast(5)))
        let problem =
            "object \(middle.key) is \(whole.count - 5) bytes in the store, but its manifest recorded \(whole.count): "
            + "it was damaged or replaced after the backup; `ktape verify` checks the whole store"

        var dry = mockOptions(cluster)
        dry.dryRun = true
        #expect(try await restore(fixture, dry).summary.problems == [problem])
        for allowMissing in [false, true] {
            var options = mockOptions(cluster)
            options.allowMissing = allowMissing
            let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
            #expect(error?.isInvalidInput == true)
            #expect(error?.message == problem)
        }
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// Objects are read one step ahead, across partitions: an object of the next partition that
    /// vanishes mid-restore must not stop the current one short. Partition 0 is restored whole, then
    /// the error names the object.
    @Test func objectVanishingFromTheNextPartitionStopsOnlyThere() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let base = MemoryStore()
        let fixture = StoreFixture(
            store: HookStore(base: base, onGet: true, when: { $0.contains("/partition=1/") }) {
                for key in (try? await base.listAll(prefix: "backups/topics/t/partition=1/").map(\.key)) ?? [] {
                    try? await base.delete(key)
                }
            })
        let records = [Int32(0): awkwardRecords(count: 8, partition: 0), 1: awkwardRecords(count: 8, partition: 1)]
        let manifest = try await fixture.writeRun(["t": records], partitionCounts: ["t": 2], perObject: 8)
        try cluster.createTopic("t", partitions: 2)
        let second = try #require(manifest.objects.first { $0.partition == 1 })
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.message.contains("object \(second.key) is missing") == true, "\(error?.message ?? "")")
        let got = try readTarget(cluster.config, topic: "t", partitions: 2)
        #expect(differences(expected: records[0]!, got: got[0] ?? []) == [])
        #expect(got[1] == nil)
    }

    /// Without manifests every key under the topics dir must parse; a bad name stops before producing.
    @Test func unparseableObjectNameInListedStoreIsInvalidInput() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = MemoryStore()
        try await store.put("topics/t/partition=0/t+0+0000000000.json", body: Array("1\n2\n".utf8))
        // Avro, which the sink also writes and ktape does not read.
        try await store.put("topics/t/partition=0/t+0+0000000002.avro", body: Array("3\n".utf8))
        try cluster.createTopic("t", partitions: 1)
        let engine = RestoreEngine(store: store, layout: StoreLayout(), options: mockOptions(cluster))
        let error = await #expect(throws: RunFailure.self) { try await engine.run().summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("t+0+0000000002.avro': unknown extension '.avro'") == true)
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// Envelope objects without a manifest are a ktape backup that has not finished (or a copy of
    /// one): restored, with a warning that they may be partial; a sink's `.json` objects are not.
    @Test(arguments: [true, false])
    func envelopesWithoutAManifestAreRestoredWithAWarning(envelope: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = MemoryStore()
        let key = "topics/t/partition=0/t+0+0000000000" + (envelope ? ".ktape.json" : ".json")
        try await store.put(key, body: envelope ? self.envelope(awkwardRecords(count: 2, partition: 0)[...]) : Array("1\n2\n".utf8))
        try cluster.createTopic("t", partitions: 1)
        let result = try await RestoreEngine(store: store, layout: StoreLayout(), options: mockOptions(cluster)).run()
        #expect(result.summary.producedRecords == 2)
        let warned = result.summary.warnings.contains {
            $0.hasPrefix("\(key) and the like are ktape's own objects, but the store has no run manifest")
        }
        #expect(warned == envelope, "\(result.summary.warnings)")
    }

    /// A first backup still writing (its lease live, of another host) has uploads that finish in any
    /// order: a restore then is refused before producing (exit 1), unless the lease claims other
    /// topics; once the lease has run out (a killed run), its objects restore with a warning, `.json`
    /// ones too, since the lease shows they are not a sink's.
    @Test(arguments: [true, false])
    func firstBackupStillWritingIsRefused(envelope: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = MemoryStore()
        let layout = StoreLayout()
        let key = "topics/t/partition=0/t+0+0000000000" + (envelope ? ".ktape.json" : ".json")
        try await store.put(key, body: envelope ? self.envelope(awkwardRecords(count: 2, partition: 0)[...]) : Array("1\n2\n".utf8))
        try cluster.createTopic("t", partitions: 1)
        func lease(topic: String, expiresIn seconds: TimeInterval) async throws {
            let now = Date()
            let table = LeaseTable(leases: [
                LeaseTable.Lease(
                    runId: "20261207T101010Z-0001", command: "backup", job: "nightly", holder: "another-host pid 7",
                    claims: [LeaseTable.Claim(topic: topic)], acquiredAt: now, expiresAt: now.addingTimeInterval(seconds))
            ])
            try await store.put(layout.storeLockKey, body: Array(try table.encoded()))
        }
        try await lease(topic: "t", expiresIn: 600)
        let error = await #expect(throws: RunFailure.self) {
            try await RestoreEngine(store: store, layout: layout, options: mockOptions(cluster)).run().summary.line
        }
        #expect(error?.isInvalidInput == false)
        #expect(
            error?.message.contains(
                "the backup of job nightly by another-host pid 7 (run 20261207T101010Z-0001) is writing its first backup") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)

        try await lease(topic: "u", expiresIn: 600)
        let beside = try await RestoreEngine(store: store, layout: layout, options: mockOptions(cluster)).run()
        #expect(beside.summary.producedRecords == 2)

        try await lease(topic: "t", expiresIn: -1)
        let killed = try await RestoreEngine(store: store, layout: layout, options: mockOptions(cluster)).run()
        let warning =
            envelope ? "\(key) and the like are ktape's own objects" : "\(layout.storeLockKey) holds the lease of the backup of job nightly"
        #expect(killed.summary.warnings.contains { $0.hasPrefix(warning) }, "\(killed.summary.warnings)")

        // A run that failed gave its lease up: the lock it leaves, empty, still tells a ktape backup.
        try await store.put(layout.storeLockKey, body: Array(try LeaseTable(leases: []).encoded()))
        let failed = try await RestoreEngine(store: store, layout: layout, options: mockOptions(cluster)).run()
        let empty = envelope ? warning : "\(layout.storeLockKey) exists, but the store has no run manifest"
        #expect(failed.summary.warnings.contains { $0.hasPrefix(empty) }, "\(failed.summary.warnings)")
    }

    /// A sharded job whose other shard runs its first backup: the restore goes on from the finished
    /// runs (exit 0), warning that the partitions that shard claims, which no finished run recorded,
    /// are not in it. Partitions a run recorded (found empty too), other topics, expired leases and
    /// `--as-of` get no warning.
    @Test func otherShardsFirstBackupIsWarnedAbout() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 4, partition: 0)
        var manifest = try await fixture.writeRun(["t": [0: records]], partitionCounts: ["t": 3])
        // The run found t/2 empty, as a backup records every partition it plans: no warning for it.
        manifest.partitions.append(ManifestPartition(topic: "t", partition: 2, startOffset: 0, endOffset: 0, endOffsetAtStart: 0))
        try await fixture.store.put(
            fixture.layout.runManifestKey(manifest.runId), body: Array(try manifest.encoded(layout: fixture.layout)))
        try cluster.createTopic("t", partitions: 3)
        func lease(_ claims: [LeaseTable.Claim], expiresIn seconds: TimeInterval = 600) async throws {
            let now = Date()
            let table = LeaseTable(leases: [
                LeaseTable.Lease(
                    runId: "20261207T101010.000Z-2of2-00000001", command: "backup", job: "nightly", holder: "another-host pid 7",
                    claims: claims, acquiredAt: now, expiresAt: now.addingTimeInterval(seconds))
            ])
            try await fixture.store.put(fixture.layout.storeLockKey, body: Array(try table.encoded()))
        }
        func warnings(asOf: RunID? = nil) async throws -> [String] {
            var options = mockOptions(cluster)
            options.dryRun = true
            options.asOf = asOf
            return try await restore(fixture, options).summary.warnings.filter { $0.contains("which no finished run recorded yet") }
        }
        try await lease([LeaseTable.Claim(topic: "t", partitions: [0, 1, 2]), LeaseTable.Claim(topic: "u", partitions: [0])])
        let warned = try await warnings()
        #expect(warned.count == 1, "\(warned)")
        #expect(
            warned.first?.hasPrefix(
                "the backup of job nightly by another-host pid 7 (run 20261207T101010.000Z-2of2-00000001) is backing up topic t partitions 1; topic u partitions 0, which no finished run recorded yet"
            ) == true, "\(warned)")
        #expect(try await warnings(asOf: fixture.runs[0]).isEmpty)

        var onlyT = mockOptions(cluster)
        onlyT.topicRegexList = try TopicRegexList(parsing: "t:.*")
        let run = try await restore(fixture, onlyT)
        #expect(run.summary.producedRecords == 4)
        #expect(run.summary.warnings.contains { $0.contains("is backing up topic t partitions 1, which") }, "\(run.summary.warnings)")
        try expectTargetHolds([0: records, 1: [], 2: []], cluster: cluster, topic: "t")

        try await lease([LeaseTable.Claim(topic: "t", partitions: [0])])
        #expect(try await warnings().isEmpty)
        try await lease([LeaseTable.Claim(topic: "t")])
        #expect(try await warnings().isEmpty)
        try await lease([LeaseTable.Claim(topic: "t", partitions: [1])], expiresIn: -1)
        #expect(try await warnings().isEmpty)
    }

    /// A first backup that finishes while the topics dir is listed leaves no lease to say the listing
    /// may be partial; its manifest, looked for again, stops the restore before producing (exit 1).
    @Test func firstBackupFinishingWhileListedStopsTheRestore() async throws {
        // @unchecked Sendable: `landed` is under `lock`.
        final class LandsWhileListed: ForwardingStore, @unchecked Sendable {
            let base = MemoryStore(name: "memory://fixture")
            var forwardee: any ObjectStore { base }
            let manifestKey: String
            private let lock = NSLock()
            private var landed = false
            init(manifestKey: String) { self.manifestKey = manifestKey }
            func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
                let page = try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
                let land =
                    prefix.hasPrefix("topics/")
                    && lock.withLock { () -> Bool in
                        defer { landed = true }
                        return !landed
                    }
                if land { _ = try await base.put(manifestKey, body: Array("{}".utf8)) }
                return page
            }
        }
        let cluster = try KafkaMockCluster(brokers: 1)
        let layout = StoreLayout()
        let store = LandsWhileListed(manifestKey: layout.runManifestKey(RunID(rawValue: "20261207T101010Z-0001")))
        try await store.put("topics/t/partition=0/t+0+0000000000.ktape.json", body: envelope(awkwardRecords(count: 2, partition: 0)[...]))
        try cluster.createTopic("t", partitions: 1)
        let error = await #expect(throws: RunFailure.self) {
            try await RestoreEngine(store: store, layout: layout, options: mockOptions(cluster)).run().summary.line
        }
        #expect(error?.isInvalidInput == false)
        #expect(
            error?.message.hasPrefix("a backup finished while this restore listed the store (\(store.manifestKey)") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// An entry whose key names another partition than the entry says is not restored into either.
    @Test func entryWhosePartitionDisagreesWithItsKeyIsRefused() async throws {
        let (cluster, fixture, _, manifest) = try await setUp()
        var broken = manifest
        broken.objects[1].partition = 1
        try await fixture.store.put(fixture.layout.runManifestKey(manifest.runId), body: Array(try broken.encoded(layout: fixture.layout)))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.contains("\(manifest.objects[1].key), a data object of t/0, under another partition") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// Manifests that leave a hole in a partition are refused before producing.
    @Test func unrecordedHoleIsRefused() async throws {
        let (cluster, fixture, _, manifest) = try await setUp()
        var broken = manifest
        broken.objects.remove(at: 1)
        broken.runId = RunID(rawValue: manifest.runId.rawValue + "x")
        try await fixture.store.delete(fixture.layout.runManifestKey(manifest.runId))
        try await fixture.store.put(fixture.layout.runManifestKey(broken.runId), body: Array(try broken.encoded(layout: fixture.layout)))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("hole") == true)
    }
    /// A store whose oldest manifest is gone (a copy that missed it): the run after it names it, so
    /// the restore refuses the store before producing instead of restoring only the later runs.
    @Test func runChainWithItsFirstManifestGoneIsRefused() async throws {
        let (cluster, fixture, _, first) = try await setUp()
        let second = try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: 4, partition: 0, firstOffset: 12)]], partitionCounts: ["t": 1], perObject: 4)
        try await fixture.store.delete(fixture.layout.runManifestKey(first.runId))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.contains("run \(second.runId) names previous run \(first.runId), whose manifest is missing") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// A prune that removes the oldest object after the plan read the prune record but before it
    /// listed the objects (here: as it reads the store index): the objects were called missing
    /// (exit 2, "pass --allow-missing") though a rerun plans without them. Now exit 1 saying so,
    /// nothing produced; the rerun restores what the prune left.
    @Test func objectsPrunedWhileThePlanListsThemAreNotCalledMissing() async throws {
        let base = MemoryStore()
        let layout = StoreLayout(prefix: "backups", topicsDir: "topics")
        let hooked = HookStore(base: base, onGet: true, when: { $0 == layout.indexKey }) {
            let manifests = try? await ManifestHistory.load(store: base, layout: layout)
            guard let first = manifests?.first?.objects.first else { return }
            try? await base.delete(first.key)
            let pruned = PrunedState(partitions: [
                PrunedState.Partition(
                    topic: "t", partition: 0, firstOffset: first.spanEnd, prunedAt: Date(), pruneId: "p", objects: 1,
                    records: first.recordCount, bytes: first.byteSize)
            ])
            try? await base.put(layout.prunedKey, body: Array(try! pruned.encoded()))
        }
        let (cluster, fixture, records, _) = try await setUp(store: hooked)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == false, "\(error?.message ?? "")")
        #expect(
            error?.message.hasPrefix("ktape prune removed objects this restore planned to read while it planned (t/0") == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.producedRecords == 8)
        try expectTargetHolds([0: Array(records.dropFirst(4))], cluster: cluster, topic: "t")
    }

    /// A store merged from two stores of different clusters (the failover cluster's backups synced
    /// over the primary's) whose offsets happen to line up: no hole, no overlap, yet one partition
    /// would get one cluster's records after the other's. Refused before producing, naming both
    /// clusters; a topic only one cluster's runs covered still restores.
    @Test func aTopicCoveredFromTwoClustersIsRefused() async throws {
        let (cluster, fixture, _, first) = try await setUp()
        let second = try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: 4, partition: 0, firstOffset: 12)], "u": [0: awkwardRecords(count: 2, partition: 0)]],
            partitionCounts: ["t": 1, "u": 1], perObject: 4)
        for (manifest, clusterId, previous) in [(first, "primary-id", nil), (second, "failover-id", nil)] as [(RunManifest, String, RunID?)]
        {
            var merged = manifest
            merged.clusterId = clusterId
            merged.previousRunId = previous
            try await fixture.store.put(
                fixture.layout.runManifestKey(manifest.runId), body: Array(try merged.encoded(layout: fixture.layout)))
        }
        try cluster.createTopic("u", partitions: 1)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        let message = error?.message ?? ""
        #expect(message.contains("topic t: its runs read its offsets from 2 Kafka clusters"), "\(message)")
        #expect(message.contains("primary-id (run \(first.runId))") && message.contains("failover-id (run \(second.runId))"), "\(message)")
        #expect(!message.contains("store continuity"), "\(message)")
        #expect(!message.contains("topic u"), "\(message)")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)

        var onlyU = mockOptions(cluster)
        onlyU.topicRegexList = try TopicRegexList(parsing: "u:.*")
        #expect(try await restore(fixture, onlyU).summary.producedRecords == 2)
    }

    /// A copy that missed the newest manifest: no later run names it, but the store index does, so
    /// the restore refuses the store rather than restoring all but that run's records; as of the
    /// run before it, there is nothing missing.
    @Test func newestManifestGoneButIndexedIsRefused() async throws {
        let (cluster, fixture, _, first) = try await setUp()
        let second = try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: 4, partition: 0, firstOffset: 12)]], partitionCounts: ["t": 1], perObject: 4)
        let index = try StoreIndex.of([first, second])
        try await fixture.store.put(fixture.layout.indexKey, body: Array(try index.encoded()))
        try await fixture.store.delete(fixture.layout.runManifestKey(second.runId))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.contains(
                "the store index \(fixture.layout.indexKey) names run \(second.runId) (its newest run), whose manifest \(fixture.layout.runManifestKey(second.runId)) is missing"
            ) == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
        var options = mockOptions(cluster)
        options.asOf = first.runId
        #expect(try await restore(fixture, options).summary.producedRecords > 0)
    }

    /// A copy that lost every manifest but kept the index: the index proves backups finished there,
    /// so the store is refused, not restored as a listing of objects no checksum is known for (a
    /// changed key went into the target, exit 0, with a warning about an unfinished backup).
    @Test func everyManifestGoneButIndexedIsRefused() async throws {
        let (cluster, fixture, _, first) = try await setUp()
        try await fixture.store.put(fixture.layout.indexKey, body: Array(try StoreIndex.of([first]).encoded()))
        try await fixture.store.delete(fixture.layout.runManifestKey(first.runId))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.hasPrefix(
                "the store index \(fixture.layout.indexKey) names run \(first.runId) (its newest run), whose manifest \(fixture.layout.runManifestKey(first.runId)) is missing"
            ) == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    /// An index copied in from another store names none of the runs here: said so, not taken for
    /// lost manifests ("the records it stored cannot be restored: restore from a complete copy").
    @Test func anIndexOfAnotherStoreIsNamedAsSuch() async throws {
        let (cluster, fixture, _, first) = try await setUp()
        var foreign = first
        foreign.runId = RunID(rawValue: "20200101T000000.000Z-all-0f0f0f0f")
        try await fixture.store.put(fixture.layout.indexKey, body: Array(try StoreIndex.of([foreign]).encoded()))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(
            error?.message.contains("names none of the 1 runs whose manifests are here: it is another store's") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains("cannot be restored") == false)
    }

    /// A backup that writes and folds its manifest after the restore listed the runs, before it read
    /// the index: its run is newer than the restore's view of the store, not a lost manifest.
    @Test func aRunFinishingWhileTheRestorePlansIsNotALoss() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let lagging = ListingLagStore()
        let fixture = StoreFixture(store: lagging)
        let first = try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: 12, partition: 0)]], partitionCounts: ["t": 1], perObject: 4)
        let second = try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: 4, partition: 0, firstOffset: 12)]], partitionCounts: ["t": 1], perObject: 4)
        try await fixture.store.put(fixture.layout.indexKey, body: Array(try StoreIndex.of([first, second]).encoded()))
        lagging.hide(fixture.layout.runManifestKey(second.runId))
        try cluster.createTopic("t", partitions: 1)
        #expect(try await restore(fixture, mockOptions(cluster)).summary.producedRecords == 12)
    }

    /// With the CRC64NVME that ktape's manifests record (version 3), or the SHA-256 of older ones,
    /// damage that still parses (a changed byte inside a key) is found before any record of the
    /// object is produced; the error names the object, and a rerun after it is mended continues
    /// without duplicates.
    @Test(arguments: [(false, StoreFixture.Checksum.crc64nvme), (true, .crc64nvme), (false, .sha256), (true, .sha256)])
    func damageThatStillParsesIsFoundByTheChecksum(gzip: Bool, checksum: StoreFixture.Checksum) async throws {
        let late = LateChange()
        let (cluster, fixture, records, manifest) = try await setUp(gzip: gzip, checksum: checksum, late: late)
        let middle = manifest.objects[1].key
        let whole = try await fixture.store.get(middle)
        let key = Array(#""k-0-5""#.utf8)
        let plain = gzip ? try gunzipped(whole) : whole
        let at = try #require(plain.indices.first { plain[$0...].starts(with: key) })
        var damaged = plain
        damaged[at + 5] = UInt8(ascii: "9")
        // A gzip object of the same records may differ in size, which the plan's listing would find first.
        if gzip { late.set(middle, try gzipped(damaged)) } else { try await fixture.store.put(middle, body: damaged) }

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        let message = error?.message ?? ""
        // A gzip object of the same records may differ in size; the plain one differs only in its checksum.
        let found = checksum == .crc64nvme ? "has CRC64NVME " : "has a SHA-256 starting "
        #expect(message.hasPrefix("object \(middle) \(gzip ? "" : found)") == true, "\(message)")
        let recorded =
            checksum == .crc64nvme
            ? "CRC64NVME \(manifest.objects[1].crc64nvme ?? "")" : "a SHA-256 starting \(manifest.objects[1].sha256?.prefix(16) ?? "")"
        #expect(message.contains("the manifest recorded \(whole.count) bytes with \(recorded):"), "\(message)")
        #expect(message.contains("none of its records was read"), "\(message)")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 4)

        try await fixture.store.put(middle, body: whole)
        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.alreadyPresentRecords == 4)
        #expect(differences(expected: records, got: try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []) == [])
    }

    /// An object of another size than the manifest recorded (cut short, or with a line more) since the
    /// plan's listing is found when it is opened; one cut short after it was opened, by the short
    /// answer to its first ranged GET. Either way before any of its records is produced.
    @Test(arguments: [(-1, LateChange.Moment.head), (1, .head), (-1, .get)])
    func objectOfAnotherSizeIsFoundBeforeItsRecordsAreProduced(change: Int, moment: LateChange.Moment) async throws {
        let late = LateChange(at: moment)
        let (cluster, fixture, records, manifest) = try await setUp(checksum: .crc64nvme, late: late)
        let middle = manifest.objects[1].key
        let whole = try await fixture.store.get(middle)
        // One line fewer (the object still ends with a newline), or the next object's first line added.
        let lines = whole.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        let changed =
            change < 0
            ? Array(lines.dropLast().joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
            : whole + envelope(records[8..<9])
        late.set(middle, changed)

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        let found =
            moment == .head
            ? "is \(changed.count) bytes" : "changed while being read (bytes 0..<\(whole.count) came back as \(changed.count) bytes)"
        #expect(
            error?.message.hasPrefix("object \(middle) \(found), but the manifest recorded \(whole.count) bytes") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains("none of its records was read") == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 4)
    }

    /// An object archived by its storage class (S3 answers GET with InvalidObjectState) stops the
    /// restore with exit 2, as verify's read of it does: a retry meets it again until it is thawed.
    /// It was exit 1, "worth a retry", to a scheduler.
    @Test func anArchivedObjectStopsTheRestoreAsInvalidInput() async throws {
        final class Archived: ForwardingStore, @unchecked Sendable {
            let base = MemoryStore(name: "memory://fixture")
            var forwardee: any ObjectStore { base }
            var archived = ""
            func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
                guard key == archived else { return try await base.get(key, range: range) }
                throw StoreError(
                    .archived, operation: "get", location: location, key: key, code: "InvalidObjectState",
                    message: "The operation is not valid for the object's storage class", status: 403)
            }
        }
        let archived = Archived()
        let (cluster, fixture, _, manifest) = try await setUp(store: archived)
        archived.archived = manifest.objects[1].key
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true, "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("object \(manifest.objects[1].key) near line 1: ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("archived") == true, "\(error?.message ?? "")")
    }

    /// A checksum the manifest spells otherwise than ktape does (the same 8 bytes with base64's spare
    /// bits set, or a SHA-256 in capitals) means the manifest was edited: its object is refused when
    /// it is opened, not restored unchecked.
    @Test(arguments: [StoreFixture.Checksum.crc64nvme, .sha256])
    func checksumNotSpelledAsKtapeWritesIsRefused(checksum: StoreFixture.Checksum) async throws {
        let (cluster, fixture, _, manifest) = try await setUp(checksum: checksum)
        var edited = manifest
        if let crc = edited.objects[1].crc64nvme {
            var bytes = Array(crc.utf8)
            bytes[10] += 1  // a spare bit of the last character
            edited.objects[1].crc64nvme = String(decoding: bytes, as: UTF8.self)
            #expect(Data(base64Encoded: edited.objects[1].crc64nvme ?? "") == Data(base64Encoded: crc))
        } else {
            edited.objects[1].sha256 = edited.objects[1].sha256?.uppercased()
        }
        try await fixture.store.put(fixture.layout.runManifestKey(manifest.runId), body: Array(try edited.encoded(layout: fixture.layout)))

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(
            error?.message.hasPrefix("object \(manifest.objects[1].key): its manifest records a checksum that is not one ktape writes")
                == true,
            "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 4)
    }

    /// Damage in the last chunk of an object read in several is found when that chunk arrives: the
    /// records of the chunks before it were produced, and the error counts them.
    @Test func damageInALaterChunkCountsWhatWasRead() async throws {
        let (cluster, fixture, _, manifest) = try await setUp(checksum: .crc64nvme, perObject: 12)
        let only = manifest.objects[0].key
        var body = try await fixture.store.get(only)
        let lines = body.split(separator: UInt8(ascii: "\n"))
        // A digit of the last record's timestamp changed (it stays valid JSON); chunks end before its line.
        let lastLine = body.count - lines.last!.count - 1
        let at = try #require(body[lastLine...].indices.first { body[$0...].starts(with: Array(#""timestamp":"#.utf8)) }) + 12
        body[at] = body[at] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        try await fixture.store.put(only, body: body)
        var options = mockOptions(cluster)
        options.chunkSize = lastLine

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.message.contains("object \(only) has CRC64NVME ") == true, "\(error?.message ?? "")")
        #expect(
            error?.message.contains(
                "its first 11 records were read and produced before this was found and may be damaged: the resume state marks them, and a rerun will not go on after them; once the object is mended, restore into an empty topic"
            ) == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 11)
    }

    /// One 12-record object (CRC64NVME recorded), a byte of its last record changed, and options
    /// whose chunks end before that record's line: 11 records go out before the damage shows.
    /// Returns the object's key and its good bytes, to mend it with.
    func damagedInItsLastChunk() async throws -> (
        KafkaMockCluster, StoreFixture, [RecordFormats.KafkaRecord], key: String, good: [UInt8], options: RestoreOptions
    ) {
        let (cluster, fixture, records, manifest) = try await setUp(checksum: .crc64nvme, perObject: 12)
        let key = manifest.objects[0].key
        let good = try await fixture.store.get(key)
        let lastLine = good.count - good.split(separator: UInt8(ascii: "\n")).last!.count - 1
        var body = good
        body[lastLine + 20] ^= 0x01
        try await fixture.store.put(key, body: body)
        var options = mockOptions(cluster)
        options.chunkSize = lastLine
        return (cluster, fixture, records, key, good, options)
    }

    /// Those records stay marked in the resume state: a rerun after the object is mended (which
    /// then passes its checksum) refuses to go on after them, in its dry run too, until the user
    /// restores afresh or removes the mark; older ktape, which would go on, refuses the document.
    @Test func aRerunAfterTheMendDoesNotBuildOnRecordsOfTheDamagedObject() async throws {
        let (cluster, fixture, records, only, good, options) = try await damagedInItsLastChunk()
        await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "t")
        let saved = try await fixture.store.get(key)
        let state = try #require(try RestoreProgress.decode(Data(saved), name: key).partitions.first)
        #expect(state.deliveredRecords == 11)
        #expect(state.damaged?.key == only)
        #expect(state.damaged?.firstProducedOffset == records[0].offset)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(saved)) as? [String: Any])
        #expect(fields["version"] as? Int == 3)

        try await fixture.store.put(only, body: good)
        let problem =
            "target t/0 holds records restored from object \(only) (source offsets from \(records[0].offset) on) before the object was found damaged at "
        let remedy = "or, to keep them as they are, remove `damaged` from partition 0's entry in \(key)"
        var dryRun = options
        dryRun.dryRun = true
        let plan = try await restore(fixture, dryRun).plan
        #expect(plan.problems.count == 1 && plan.problems[0].hasPrefix(problem) && plan.problems[0].hasSuffix(remedy), "\(plan.problems)")
        let refused = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(refused?.isInvalidInput == true, "\(refused?.message ?? "")")
        #expect(refused?.message.hasPrefix(problem) == true, "\(refused?.message ?? "")")
        #expect(refused?.message.hasSuffix(remedy) == true, "\(refused?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 11)

        // The user checked them and keeps them: the rerun restores the last record and drops the mark.
        var unmarked = try RestoreProgress.decode(Data(saved), name: key)
        unmarked.partitions[0].damaged = nil
        try await fixture.store.put(
            key, body: Array(try RestoreProgress(targetTopic: "t", updatedAt: Date(), partitions: unmarked.partitions).encoded()))
        _ = try await restore(fixture, options)
        try expectTargetHolds([0: records], cluster: cluster, topic: "t")
        let after = try #require(try JSONSerialization.jsonObject(with: Data(try await fixture.store.get(key))) as? [String: Any])
        #expect(after["version"] as? Int == 2)
    }

    /// A run stopped (here killed) after the records of the damaged object's first chunk reached the
    /// target, before its last chunk was read: the rerun produces nothing of that object before the
    /// damage shows, yet the records it passes over as held came from the same bytes, so it marks
    /// them, from the object's first record. Before, the rerun marked nothing, and the one after the
    /// mend exited 0 (a helper's repro, with a failed last-chunk GET in place of the kill).
    @Test func recordsAnEarlierRunPutInTheTargetAreMarkedToo() async throws {
        let (cluster, fixture, records, only, good, options) = try await damagedInItsLastChunk()
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 11).summary.line }
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 11)
        await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "t")
        let state = try #require(try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key).partitions.first)
        #expect(state.damaged?.key == only, "\(state)")
        #expect(state.damaged?.firstProducedOffset == records[0].offset)
        try await fixture.store.put(only, body: good)
        let refused = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(refused?.message.contains("holds records restored from object \(only)") == true, "\(refused?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 11)
    }

    /// A sink's `.json.gz` (no manifest, so no checksum to check) whose stored deflate block had a
    /// digit changed: it inflates, and only gzip's CRC-32 at its end shows the damage, after records
    /// inflated from the changed bytes went out. That check proves them suspect as a manifest's would:
    /// they are marked, and the rerun after the mend stops instead of building on them (it exited 0
    /// with the changed record in the target).
    @Test func gzipDataThatFailsItsOwnCheckMarksWhatWentOut() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("t", partitions: 1)
        let fixture = StoreFixture(store: MemoryStore(), layout: StoreLayout())
        let key = "topics/t/partition=0/t+0+0000000000.json.gz"
        let plain = Array((0..<300).map { "{\"n\":\($0)}\n" }.joined().utf8)
        // Level 0: stored blocks, which inflate whatever their bytes are.
        let compressor = try GzipCompressor(level: 0)
        var good: [UInt8] = []
        try compressor.compress(plain, into: &good)
        try compressor.finish(into: &good)
        let seven = Array(#"{"n":7}"#.utf8)
        let at = try #require(good.indices.first { good[$0...].starts(with: seven) })
        var damaged = good
        damaged[at + 5] = UInt8(ascii: "9")
        try await fixture.store.put(key, body: damaged)
        var options = mockOptions(cluster)
        options.chunkSize = 1_000
        options.batchSize = 200

        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.message.hasPrefix("object \(key): gzip data is corrupt near byte ") == true, "\(error?.message ?? "")")
        #expect(
            error?.message.hasSuffix(
                "the lines before it may be damaged too: the resume state marks those produced, and a rerun will not go on after them")
                == true, "\(error?.message ?? "")")
        let produced = try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []
        #expect(produced.count > 7 && produced.count < 300, "\(produced.count)")
        #expect(produced.dropFirst(7).first?.value == Array(#"{"n":9}"#.utf8))

        try await fixture.store.put(key, body: good)
        let refused = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(refused?.isInvalidInput == true)
        #expect(
            refused?.message.hasPrefix(
                "target t/0 holds records restored from object \(key) (source offsets from 0 on) before the object was found damaged at ")
                == true, "\(refused?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == produced.count)
    }

    /// A --repartition restore marks the target partitions the object's records went to.
    @Test func aRepartitionedRestoreMarksWhereTheDamagedObjectsRecordsWent() async throws {
        let (cluster, fixture, records, only, _, prepared) = try await damagedInItsLastChunk()
        var options = prepared
        options.repartition = true
        await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "t")
        let state = try #require(try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key).partitions.first)
        #expect(state.deliveredRecords == 11)
        #expect(state.damaged?.key == only)
        #expect(state.damaged?.firstProducedOffset == records[0].offset)
    }

    /// Damage found before any of the object's records went out (its first chunk, or a line there)
    /// marks nothing: the rerun after the mend restores everything, from that object on.
    @Test func damageFoundBeforeAnyRecordOfTheObjectWentOutMarksNothing() async throws {
        let (cluster, fixture, records, manifest) = try await setUp(checksum: .crc64nvme, perObject: 4)
        let second = manifest.objects[1].key
        let good = try await fixture.store.get(second)
        var body = good
        body[body.count / 2] ^= 0x01
        try await fixture.store.put(second, body: body)
        await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "t")
        let state = try #require(try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key).partitions.first)
        #expect(state.deliveredRecords == 4)
        #expect(state.damaged == nil)
        try await fixture.store.put(second, body: good)
        _ = try await restore(fixture, mockOptions(cluster))
        try expectTargetHolds([0: records], cluster: cluster, topic: "t")
    }

    /// A line that does not decode, in an object with a checksum, after records of the same object
    /// went out: those are marked too, as nothing says the damage is only in that line. (Without
    /// a checksum they are not: `nonJSONLineStopsThereAndRerunContinues`.)
    @Test func aBadLineAfterRecordsOfACheckedObjectWentOutMarksThem() async throws {
        let late = LateChange()
        let (cluster, fixture, records, manifest) = try await setUp(checksum: .crc64nvme, perObject: 12, late: late)
        let only = manifest.objects[0].key
        var body = try await fixture.store.get(only)
        let lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        body[lines[..<7].reduce(0) { $0 + $1.count + 1 }] = UInt8(ascii: "x")
        late.set(only, body)
        var options = mockOptions(cluster)
        options.chunkSize = body.count - lines[11].count - 2
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.message.hasPrefix("object \(only) line 8: ") == true, "\(error?.message ?? "")")
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "t")
        let state = try #require(try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key).partitions.first)
        #expect(state.deliveredRecords == 7)
        #expect(state.damaged?.firstProducedOffset == records[0].offset)
    }
}
