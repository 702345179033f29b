import Failures
import Foundation
import JobSpec
import Kafka
import Layout
import ObjectStore
import Restore
import Testing

/// Buckets laid out by each of the Confluent S3 sink's partitioners, with other offset paddings:
/// restore reads them all, partition by partition in offset order whatever the folders, and
/// `topic.regex.list` still matches the file name as stored.
@Suite struct SinkLayoutTests {
    func values(_ records: [ConsumedRecord]?) -> [String] {
        (records ?? []).map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    func restore(
        _ store: MemoryStore, topics: [String: Int32], topicsDir: String = "topics",
        _ adjust: (inout RestoreOptions) throws -> Void = { _ in }
    ) async throws -> (KafkaMockCluster, RestoreResult) {
        let cluster = try KafkaMockCluster(brokers: 1)
        for (topic, partitions) in topics { try cluster.createTopic(topic, partitions: partitions) }
        var options = mockOptions(cluster)
        try adjust(&options)
        let result = try await RestoreEngine(store: store, layout: StoreLayout(topicsDir: topicsDir), options: options).run()
        return (cluster, result)
    }

    /// `filename.offset.zero.pad.width=5` and a TimeBasedPartitioner's hourly folders (`path.format`
    /// `'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`): an hour's files sort before the next hour's.
    @Test func timeBasedPartitionerWithFiveDigitOffsets() async throws {
        let store = MemoryStore()
        let hour = "topics/clicks/year=2026/month=11/day=24/hour="
        try await store.put(hour + "14/clicks+0+00003.json", body: Array("\"d\"\n\"e\"\n".utf8))
        try await store.put(hour + "13/clicks+0+00000.json", body: Array("\"a\"\n\"b\"\n\"c\"\n".utf8))
        try await store.put(hour + "13/clicks+0+00000.keys.json", body: Array("\"k1\"\n\"k2\"\n\"k3\"\n".utf8))
        try await store.put(hour + "14/clicks+1+00000.json", body: Array("\"x\"\n".utf8))
        let (cluster, result) = try await restore(store, topics: ["clicks": 2])
        #expect(result.summary.producedRecords == 6)
        let got = try readTarget(cluster.config, topic: "clicks", partitions: 2)
        #expect(values(got[0]) == ["\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""])
        #expect(got[0]?.prefix(3).map(\.key) == ["k1", "k2", "k3"].map { Array($0.utf8) })
        #expect(values(got[1]) == ["\"x\""])
        #expect(
            !result.summary.warnings.contains { $0.contains("interleave") || $0.contains("in no object") }, "\(result.summary.warnings)")
    }

    /// `.keys.json` lines as each Confluent `key.converter` writes them, read with `key-converter` (set
    /// through a job spec, as the flag sets it): JsonConverter's keys are JSON values, ByteArrayConverter's
    /// base64. Read as strings (the default), a JSON number is exit 2 naming the setting.
    @Test(arguments: [
        ("json", "123\n{\"id\":7}\n\"s\"\n", ["123", "{\"id\":7}", "\"s\""].map { Array($0.utf8) }),
        ("bytearray", "\"AAH/\"\n\"a2V5\"\n\"\"\n", [[0x00, 0x01, 0xFF], Array("key".utf8), []]),
        ("string", "\"k1\"\n\"k2\"\n\"k3\"\n", ["k1", "k2", "k3"].map { Array($0.utf8) })
    ])
    func keyConvertersOfTheSink(converter: String, lines: String, keys: [[UInt8]]) async throws {
        let store = MemoryStore()
        try await store.put("topics/ids/partition=0/ids+0+0000000000.json", body: Array("1\n2\n3\n".utf8))
        try await store.put("topics/ids/partition=0/ids+0+0000000000.keys.json", body: Array(lines.utf8))
        let (cluster, result) = try await restore(store, topics: ["ids": 1]) { options in
            let document: [String: JobRawValue] = [
                "store": .scalar("/unused"), "bootstrap-servers": .scalar(options.kafka.bootstrapServers),
                "key-converter": .scalar(converter)
            ]
            let spec = try JobSpec(document: .flags(document), command: .restore)
            options = RestoreOptions(spec: spec, kafka: options.kafka)
            options.bestEffortTimeoutMilliseconds = 300
        }
        #expect(result.summary.producedRecords == 3)
        #expect(try readTarget(cluster.config, topic: "ids", partitions: 1)[0]?.map { $0.key ?? [] } == keys)

        if converter == "json" {
            let error = await #expect(throws: RunFailure.self) { try await restore(store, topics: ["ids": 1]) }
            #expect(error?.kind == .invalidInput)
            #expect(
                error?.message.hasPrefix(
                    "object topics/ids/partition=0/ids+0+0000000000.keys.json line 1: column 1: field \"key\" must be a string; ")
                    == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("pass --key-converter json") == true)
        }
    }

    /// The key converter is one of the restore's settings: a rerun with another one is refused
    /// rather than continued on keys decoded the first way. A store with manifests is ktape's, whose
    /// keys are always `string`: another converter there is a problem of the plan.
    @Test func theKeyConverterIsASettingOfTheRestore() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("ids", partitions: 1)
        let fixture = StoreFixture(store: MemoryStore(), layout: StoreLayout())
        let lines = (0..<6).map { "\"k\($0)\"\n" }.joined()
        try await fixture.store.put("topics/ids/partition=0/ids+0+0000000000.json", body: Array("1\n2\n3\n".utf8))
        try await fixture.store.put("topics/ids/partition=0/ids+0+0000000000.keys.json", body: Array(lines.utf8.prefix(15)))
        try await fixture.store.put("topics/ids/partition=0/ids+0+0000000003.json", body: Array("4\n5\n6\n".utf8))
        try await fixture.store.put("topics/ids/partition=0/ids+0+0000000003.keys.json", body: Array(lines.utf8.dropFirst(15)))
        var json = mockOptions(cluster)
        json.keyStyle = .json
        await #expect(throws: SimulatedKill.self) { try await RestoreTests.restore(fixture, json, killedAfter: 3) }
        #expect(try readTarget(cluster.config, topic: "ids", partitions: 1)[0]?.first?.key == Array(#""k0""#.utf8))

        let error = await #expect(throws: RunFailure.self) { try await RestoreTests.restore(fixture, mockOptions(cluster)) }
        #expect(error?.kind == .invalidInput)
        #expect(
            error?.message.contains(
                "by a restore with other settings (source topic, files, time range, as-of, repartitioning or key-converter)") == true,
            "\(error?.message ?? "")")
        let resumed = try await RestoreTests.restore(fixture, json)
        #expect(resumed.summary.producedRecords == 3)

        let ktapes = StoreFixture()
        try await ktapes.writeRun(["ids": [0: awkwardRecords(count: 2, partition: 0)]], partitionCounts: ["ids": 1])
        let refused = await #expect(throws: RunFailure.self) { try await RestoreTests.restore(ktapes, json) }
        #expect(
            refused?.message.hasPrefix("--key-converter json: this store was written by ktape backups") == true, "\(refused?.message ?? "")"
        )
    }

    /// A FieldPartitioner interleaves a partition's offsets across its folders: objects go in start
    /// order, an object starting inside another folder's is no overlap, and the plan says so.
    @Test func fieldPartitionerInterleavedFolders() async throws {
        let store = MemoryStore()
        try await store.put("data/orders/region=us/orders+0+0000000000.json", body: Array("\"us-0\"\n\"us-2\"\n".utf8))
        try await store.put("data/orders/region=eu/orders+0+0000000001.json", body: Array("\"eu-1\"\n\"eu-3\"\n".utf8))
        try await store.put("data/orders/region=us/orders+0+0000000004.json", body: Array("\"us-4\"\n".utf8))
        let (cluster, result) = try await restore(store, topics: ["orders": 1], topicsDir: "data")
        #expect(
            values(try readTarget(cluster.config, topic: "orders", partitions: 1)[0]) == [
                "\"us-0\"", "\"us-2\"", "\"eu-1\"", "\"eu-3\"", "\"us-4\""
            ])
        #expect(
            result.summary.warnings.filter { $0.contains("interleave") } == [
                "topic orders: objects of a partition interleave their offsets across folders (a time- or field-based partitioner); they are restored in start-offset order, and as the files carry no offsets, interleaved records keep the order of their objects"
            ])
        #expect(!result.summary.warnings.contains { $0.contains("are in no object") })
    }

    /// Within one folder an object that starts inside the one before it is still refused.
    @Test func overlapInsideAFolderIsRefused() async throws {
        let store = MemoryStore()
        try await store.put("topics/t/hour=13/t+0+000.json", body: Array("1\n2\n3\n".utf8))
        try await store.put("topics/t/hour=13/t+0+002.json", body: Array("3\n".utf8))
        try await store.put("topics/t/hour=14/t+0+001.json", body: Array("9\n".utf8))
        let error = await #expect(throws: RunFailure.self) { try await restore(store, topics: ["t": 1]).1.summary.line }
        #expect(error?.message.contains("t+0+002.json starts at offset 2, inside the object before it") == true)
    }

    /// Folders that follow each other (wall-clock hours) still show a hole between them.
    @Test func holeBetweenHourFoldersIsReported() async throws {
        let store = MemoryStore()
        try await store.put("topics/t/hour=13/t+0+000.json", body: Array("1\n2\n".utf8))
        try await store.put("topics/t/hour=14/t+0+005.json", body: Array("6\n".utf8))
        let (_, result) = try await restore(store, topics: ["t": 1])
        #expect(result.summary.producedRecords == 3)
        #expect(
            result.summary.warnings.contains {
                $0.hasSuffix("t+0+005.json: offsets 2…4 are in no object (compacted away, transaction markers, or a missing object)")
            })
    }

    /// The regex matches the name as stored (`orders+0+00007.json`), not a ten-digit rendering of it.
    @Test func topicRegexListMatchesTheStoredFileName() async throws {
        let store = MemoryStore()
        try await store.put("topics/orders/partition=0/orders+0+00000.json", body: Array("1\n2\n".utf8))
        try await store.put("topics/orders/partition=0/orders+0+00007.json", body: Array("8\n".utf8))
        let (cluster, result) = try await restore(store, topics: ["orders": 1]) {
            $0.topicRegexList = try TopicRegexList(parsing: #"orders:orders\+0\+\d{4}7\.json"#)
        }
        #expect(result.summary.producedRecords == 1)
        #expect(values(try readTarget(cluster.config, topic: "orders", partitions: 1)[0]) == ["8"])
    }

    /// A key no sink layout names stops a restore of its topic, not of the topics the list selects.
    @Test func aStrayKeyInAnotherTopicsFolderDoesNotStopASelection() async throws {
        let store = MemoryStore()
        try await store.put("topics/orders/partition=0/orders+0+0000000000.json", body: Array("1\n".utf8))
        try await store.put("topics/orders/_SUCCESS", body: [])
        try await store.put("topics/events/partition=0/events+0+0000000000.json", body: Array("2\n".utf8))
        let (cluster, result) = try await restore(store, topics: ["events": 1, "orders": 1]) {
            $0.topicRegexList = try TopicRegexList(parsing: "events:.*")
        }
        #expect(result.summary.producedRecords == 1)
        #expect(values(try readTarget(cluster.config, topic: "events", partitions: 1)[0]) == ["2"])
        let error = await #expect(throws: RunFailure.self) { try await restore(store, topics: ["events": 1, "orders": 1]) }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("topics/orders/_SUCCESS") == true)
        // A selected topic's file in another topic's folder is this restore's business.
        try await store.delete("topics/orders/_SUCCESS")
        try await store.put("topics/orders/partition=0/events+0+0000000001.json", body: Array("3\n".utf8))
        let misplaced = await #expect(throws: RunFailure.self) {
            try await restore(store, topics: ["events": 1, "orders": 1]) { $0.topicRegexList = try TopicRegexList(parsing: "events:.*") }
        }
        #expect(misplaced?.message.contains("topics/orders/partition=0/events+0+0000000001.json") == true, "\(misplaced?.message ?? "")")
    }
}
