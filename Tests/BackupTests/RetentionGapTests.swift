import Failures
import Foundation
import KtapeTestSupport
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore
import StoreMetadata

/// Records deleted before a run read them are a gap in the manifest and a loud warning, never a
/// silent skip. librdkafka 2.0.2's mock keeps only about 5 MiB per partition, which acts as retention.
@Suite struct RetentionGapTests {
    func bigRecords(_ topic: String, _ range: Range<Int>, partition: Int32 = 0) -> [KafkaProducerRecord] {
        range.map { n in
            KafkaProducerRecord(
                topic: topic, partition: partition, key: nil, value: Array(repeating: 0x61, count: 256 * 1024),
                timestamp: 1_700_000_000_000 + Int64(n))
        }
    }

    /// A leader moving answers ListOffsets with NOT_LEADER_FOR_PARTITION. The run asks again, and
    /// takes neither a wrong log start for a retention gap (records still in Kafka skipped, exit 0, as
    /// librdkafka 2.0.2's watermark query let happen) nor fails.
    @Test func aLeaderMovingWhileOffsetsAreReadIsNoRetentionGap() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("leadermove", partitions: 4)
        try fixture.produceJSON(topic: topic, partitions: 4, count: 400)
        let store = MemoryStore()
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 400)
        for round in 1...3 {
            try fixture.produceJSON(topic: topic, partitions: 4, count: 400, from: 400 * round)
            try fixture.failNextRequests(apiKey: 2, with: [KafkaError.Code(rawValue: 6)])  // NOT_LEADER_FOR_PARTITION
            let run = try await fixture.backup(store: store, topics: [topic])
            #expect(run.records == 400 && run.retentionGaps == 0 && run.lostOffsets == 0, "round \(round)")
        }
    }

    /// ListOffsets answers Kafka calls retriable (here OFFSET_NOT_AVAILABLE, a new leader not caught
    /// up) are asked again until the stall timeout; a run that then gives up names the answer. It
    /// said only "made no progress for 3 s while reading the offsets", the code lost.
    @Test func aListOffsetsAnswerAskedAgainUntilTheStallTimeoutIsNamed() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("catching-up", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 10)
        try fixture.failNextRequests(apiKey: 2, with: Array(repeating: KafkaError.Code(rawValue: 78), count: 400))
        var request = try fixture.request(store: MemoryStore(), topics: [topic])
        // The watch counts from the run's start: a starved process can spend seconds before its first
        // ListOffsets answer, which the line can only name once it came (400 failures outlast 9 s).
        request.stallTimeout = SanitizerTiming.seconds(3)
        let error = await #expect(throws: RunFailure.self) { try await BackupEngine.run(request) }
        #expect(error?.message.contains("OFFSET_NOT_AVAILABLE") == true, "\(error?.message ?? "")")
    }

    /// The retried answer stays the admin's last report once the call gives up too: the stall watch
    /// can end the wait at that very moment, before the call's error is delivered, and its line named
    /// no cause ("made no progress for 3 s" alone, in a loaded AddressSanitizer pass of the test above).
    @Test func aRetriedAnswerOutlivesTheCallThatGaveUp() throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("gave-up", partitions: 1)
        try fixture.failNextRequests(apiKey: 2, with: Array(repeating: KafkaError.Code(rawValue: 78), count: 400))
        let admin = try KafkaAdmin(config: fixture.kafka)
        #expect(throws: KafkaError.self) { try admin.watermarks(TopicPartition(topic: topic, partition: 0), retryingFor: 0.3) }
        #expect(admin.lastReportedError?.code == KafkaError.Code(rawValue: 78), "\(String(describing: admin.lastReportedError))")
    }

    /// A Fetch answered OFFSET_OUT_OF_RANGE while the log start has not moved past the offset (a
    /// leader just elected, its high watermark behind): asked again, not a failure nor a gap; when it
    /// keeps saying so, the run stops naming it.
    @Test func anOffsetOutOfRangeRetentionDoesNotExplainIsAskedAgain() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("oor", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 50)
        try fixture.failNextRequests(apiKey: 1, with: [KafkaError.Code(rawValue: 1)])  // OFFSET_OUT_OF_RANGE
        let run = try await fixture.backup(store: MemoryStore(), topics: [topic])
        #expect(run.records == 50 && run.retentionGaps == 0)

        try fixture.failNextRequests(apiKey: 1, with: Array(repeating: KafkaError.Code(rawValue: 1), count: 12))
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: MemoryStore(), topics: [topic]) }
        #expect(error?.message.contains("is out of range but the log starts at 0") == true, "\(error?.message ?? "")")
    }

    @Test func checkpointBelowTheLogStartIsRecordedAsARetentionGap() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("retention", partitions: 1)
        try fixture.produce(bigRecords(topic, 0..<4))
        let store = MemoryStore()
        let first = try await fixture.backup(store: store, topics: [topic])
        #expect(first.records == 4 && first.retentionGaps == 0)

        try fixture.produce(bigRecords(topic, 4..<36))
        let low = try KafkaAdmin(config: fixture.kafka).watermarks(TopicPartition(topic: topic, partition: 0)).low
        try #require(low > 4, "the mock kept everything; produce more")

        let second = try await fixture.backup(store: store, topics: [topic])
        #expect(second.retentionGaps == 1)
        #expect(second.lostOffsets == low - 4)
        #expect(second.records == 36 - low)
        let manifests = try await StoreContents.manifests(store)
        let partition = try #require(manifests.last?.partitions.first)
        #expect(partition.startOffset == 4)
        #expect(partition.endOffset == 36)
        #expect(partition.gaps == [OffsetGap(start: 4, end: low, reason: .retention)])
        #expect(manifests.last?.objects.first?.firstOffset == low)
        #expect(manifests.continuityProblems().isEmpty, "\(manifests.continuityProblems())")
        let warnings = WarningLog.shared.lines(containing: "topic \(topic) partition 0")
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("DATA LOST") == true)
    }

    /// A partition added to a topic since the runs saw it begins at offset 0: records retention took
    /// before this run read them are a gap and a DATA LOST warning, as in any partition the store
    /// follows. They were "0 gaps", the partition backed up from its log start as if new to the store.
    /// (The mock cannot add partitions: the index is told the first run saw one.)
    @Test func aPartitionAddedSinceTheLastRunIsAccountedFromOffsetZero() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("grown", partitions: 2)
        try fixture.produce(bigRecords(topic, 0..<2))
        let store = MemoryStore()
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 2)
        let layout = StoreLayout()
        var index = try JSONDecoder().decode(StoreIndex.self, from: Data(try await store.get(layout.indexKey)))
        #expect(index.partitionCounts == ["all": [topic: 2]])
        index.partitionCounts = ["all": [topic: 1]]
        // Nor that it found partition 1 empty (which alone would account it from 0 too).
        #expect(index.emptyPartitions == [ManifestEmptyPartition(topic: topic, partition: 1, offset: 0)])
        index.emptyPartitions = nil
        _ = try await store.put(layout.indexKey, body: Array(try JSONEncoder().encode(index)))

        try fixture.produce(bigRecords(topic, 2..<34, partition: 1))
        let low = try KafkaAdmin(config: fixture.kafka).watermarks(TopicPartition(topic: topic, partition: 1)).low
        try #require(low > 0, "the mock kept everything; produce more")
        let second = try await fixture.backup(store: store, topics: [topic])
        #expect(second.retentionGaps == 1 && second.lostOffsets == low, "\(second)")
        let manifests = try await StoreContents.manifests(store)
        let partition = try #require(manifests.last?.partitions.first { $0.partition == 1 })
        #expect(partition.startOffset == 0 && partition.gaps == [OffsetGap(start: 0, end: low, reason: .retention)])
        #expect(WarningLog.shared.lines(containing: "topic \(topic) partition 1").first?.contains("DATA LOST") == true)

        // An index folded before ktape kept the counts tells nothing: the partition starts at its log start.
        index.partitionCounts = nil
        let unknown = StoreIndex(configHash: index.configHash, lastRunId: index.lastRunId, runs: index.runs, partitions: index.partitions)
        #expect(try unknown.checkpoint(expectedConfigHash: index.configHash ?? "").nextOffset(topic: topic, partition: 1) == nil)
    }

    /// A partition a run found empty is written in the manifest where it stood (on a store's first
    /// run too, which otherwise wrote nothing), once: records produced and deleted by retention before
    /// a later run read them are a gap and a DATA LOST warning. They were "0 gaps", the partition
    /// backed up from its new log start as if nothing had been there.
    @Test func recordsRetentionTookFromAPartitionFoundEmptyAreAGap() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("quiet", partitions: 2)
        let store = MemoryStore()
        let first = try await fixture.backup(store: store, topics: [topic])
        #expect(first.records == 0 && first.manifestKey != nil && first.savedChangesOnly, "\(first)")
        var manifests = try await StoreContents.manifests(store)
        #expect(
            manifests.last?.emptyPartitions == [
                ManifestEmptyPartition(topic: topic, partition: 0, offset: 0), ManifestEmptyPartition(topic: topic, partition: 1, offset: 0)
            ])
        // Found empty again where it stood: nothing to write.
        let second = try await fixture.backup(store: store, topics: [topic])
        #expect(second.manifestKey == nil, "\(second)")

        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        try fixture.produce(bigRecords(topic, 0..<32, partition: 1))
        let low = try KafkaAdmin(config: fixture.kafka).watermarks(TopicPartition(topic: topic, partition: 1)).low
        try #require(low > 0, "the mock kept everything; produce more")
        let third = try await fixture.backup(store: store, topics: [topic])
        #expect(third.records == 3 + 32 - low && third.retentionGaps == 1 && third.lostOffsets == low, "\(third)")
        manifests = try await StoreContents.manifests(store)
        let partition = try #require(manifests.last?.partitions.first { $0.partition == 1 })
        #expect(partition.startOffset == 0 && partition.gaps == [OffsetGap(start: 0, end: low, reason: .retention)])
        #expect(manifests.last?.emptyPartitions == nil)
        #expect(WarningLog.shared.lines(containing: "topic \(topic) partition 1").first?.contains("DATA LOST") == true)
        #expect(manifests.continuityProblems().isEmpty, "\(manifests.continuityProblems())")
    }

    /// A store's first run binds it to its settings even when it found every partition empty (and
    /// wrote only where they stood): letting a later run change them let two runs at once, or a
    /// topics-dir change, leave a store no restore could read (a helper's regression hunt).
    @Test func aStoreWhoseRunsFoundOnlyEmptyPartitionsKeepsItsSettings() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("first-empty", partitions: 1)
        let store = MemoryStore()
        #expect(try await fixture.backup(store: store, topics: [topic]).manifestKey != nil)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        let error = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: store, topics: [topic], ["compression": "gzip"])
        }
        #expect(error?.kind == .invalidInput && error?.message.contains("config hash") == true, "\(error?.message ?? "")")
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 5)
    }

    /// A store whose runs found a topic only empty on one cluster backs it up from another (a
    /// bootstrap list corrected after a first run): it holds none of its offsets. It was refused,
    /// "another cluster's offsets cannot continue this history", since the empty run wrote a manifest.
    @Test func aTopicFoundOnlyEmptyMayBeReadFromAnotherCluster() async throws {
        let first = try BackupFixture(brokers: 1)
        let topic = "moved-\(UUID().uuidString.prefix(8).lowercased())"
        try first.topic(named: topic, partitions: 1)
        let store = MemoryStore()
        #expect(try await first.backup(store: store, topics: [topic]).manifestKey != nil)
        let second = try BackupFixture(brokers: 1)
        try second.topic(named: topic, partitions: 1)
        try second.produceJSON(topic: topic, partitions: 1, count: 5)
        let run = try await second.backup(store: store, topics: [topic])
        #expect(run.records == 5 && run.retentionGaps == 0, "\(run)")
        // Once it holds records, the cluster is pinned as ever.
        try first.produceJSON(topic: topic, partitions: 1, count: 7)
        let error = await #expect(throws: RunFailure.self) { try await first.backup(store: store, topics: [topic]) }
        #expect(error?.message.contains("another cluster's offsets") == true, "\(error?.message ?? "")")
    }

    /// Two runs with other settings (compression) on a new store pass the check at their start; the
    /// one that finishes second stops before its manifest (exit 2), rather than leave the store with
    /// two settings and its index refusing every later backup (exit 1, "config hash differs", for
    /// good, as the regression hunt found).
    @Test func aRunWhoseStoreTookOtherSettingsMeanwhileWritesNoManifest() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("raced", partitions: 1)
        let other = try fixture.topic("raced-other", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        try fixture.produceJSON(topic: other, partitions: 1, count: 5)
        let layout = StoreLayout()
        let base = MemoryStore()
        // The other job (gzip) finishes while this one writes its first object.
        let raced = HookStore(base: base, when: { $0.hasPrefix(layout.topicsFolder + topic + "/") }) {
            let run = try? await fixture.backup(store: base, topics: [other], ["compression": "gzip"])
            #expect(run?.records == 5)
        }
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: raced, topics: [topic]) }
        #expect(error?.kind == .invalidInput, "\(error?.message ?? "")")
        #expect(error?.message.contains("finished in this store while this run ran; this run's manifest is not written") == true)
        #expect(try await StoreContents.manifests(base).count == 1)
        // The store stays usable with its settings.
        #expect(try await fixture.backup(store: base, topics: [other], ["compression": "gzip"]).manifestKey == nil)
    }

    /// The same two first runs ending at once: the other (gzip) finishes while this one writes its
    /// manifest, after this one's check. Before, both checked an empty store, both wrote manifests
    /// and exited 0, the index was never written, and every later backup stopped for good ("config
    /// hash differs", exit 1). This run's claim of the settings in the index, made before its
    /// manifest, now makes the other stop instead.
    @Test func ofTwoFirstRunsWithOtherSettingsEndingAtOnceOneWritesAManifest() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("claimed", partitions: 1)
        let other = try fixture.topic("claimed-other", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        try fixture.produceJSON(topic: other, partitions: 1, count: 5)
        let layout = StoreLayout()
        let base = MemoryStore()
        let raced = HookStore(base: base, when: { $0.hasPrefix(layout.runsFolder) }) {
            let error = await #expect(throws: RunFailure.self) {
                try await fixture.backup(store: base, topics: [other], ["compression": "gzip"])
            }
            #expect(error?.kind == .invalidInput, "\(error?.message ?? "")")
            #expect(
                error?.message.contains("a run with other byte-changing settings") == true
                    && error?.message.contains("claimed this new store's settings in _ktape/index.json") == true,
                "\(error?.message ?? "")")
        }
        let run = try await fixture.backup(store: raced, topics: [topic])
        #expect(run.records == 5 && run.manifestKey != nil)
        #expect(try await StoreContents.manifests(base).map(\.runId) == [try #require(run.manifestKey.flatMap(layout.runID(fromKey:)))])
        let index = try #require(try await IndexKeeper.read(store: base, layout: layout)?.index)
        #expect(index.runs.count == 1)
        // Backups with the store's settings go on; the other settings stay refused at once.
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3, from: 5)
        #expect(try await fixture.backup(store: base, topics: [topic]).records == 3)
        await #expect(throws: RunFailure.self) { try await fixture.backup(store: base, topics: [other], ["compression": "gzip"]) }
    }

    /// A first run killed between its claim and its manifest leaves a claim no manifest backs: a
    /// run with other settings is refused, and told how to go on when no backup is running.
    @Test func aClaimLeftByAKilledRunNamesTheWayOn() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("unclaimed", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        let store = MemoryStore()
        #expect(try await IndexKeeper.claimSettings("hash-of-a-killed-run", store: store, layout: StoreLayout()) == nil)
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
        #expect(error?.kind == .invalidInput)
        #expect(
            error?.message.hasSuffix("that run was killed before its manifest: remove _ktape/index.json and run again)") == true,
            "\(error?.message ?? "")")
        try await store.delete("_ktape/index.json")
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 5)
    }
}
