import Failures
import Foundation
import Spawn
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore
import Checksums

/// confluent-json objects against golden files, companions, invalid values, and gzip objects that
/// `gzip -d` reads.
@Suite struct FormatTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/backup")

    /// Values as producers wrote them: whitespace, key order and number spelling vary.
    static let values = [
        #"{"b":1, "a":[1, 2.50, "x"]}"#,
        #"  { "spaced" : true, "nested": {"k": null} }  "#,
        #""just a string""#,
        "42",
        #"{"unicode":"é ✓","escaped":"line\nbreak"}"#
    ]

    func produceGoldenRecords(_ fixture: BackupFixture, topic: String) throws {
        try fixture.produce(
            Self.values.enumerated().map { n, value in
                var headers = [KafkaHeader(name: "trace", value: Array("t\(n)".utf8))]
                if n == 4 { headers.append(KafkaHeader(name: "empty", value: nil)) }
                return KafkaProducerRecord(
                    topic: topic, partition: 0, key: Array("k\(n)".utf8), value: Array(value.utf8),
                    headers: headers, timestamp: 1_700_000_000_000 + Int64(n))
            })
    }

    func golden(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
    }

    @Test func confluentJSONObjectsEqualGoldenFiles() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("orders", partitions: 1)
        try produceGoldenRecords(fixture, topic: topic)
        let store = MemoryStore()
        let summary = try await fixture.backup(
            store: store, topics: [topic],
            ["format": "confluent-json", "store-keys": "true", "store-headers": "true"])
        #expect(summary.records == 5)
        let folder = "topics/\(topic)/partition=0/\(topic)+0+0000000000"
        #expect(try await store.get(folder + ".json") == (try golden("orders+0+0000000000.json")))
        #expect(try await store.get(folder + ".keys.json") == (try golden("orders+0+0000000000.keys.json")))
        #expect(try await store.get(folder + ".headers.json") == (try golden("orders+0+0000000000.headers.json")))
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.objects.first?.companionKeys == [folder + ".keys.json", folder + ".headers.json"])
        // Each companion's size and CRC64NVME, in companionKeys' order, as for the data object.
        let expected = try [".keys.json", ".headers.json"].map { suffix in
            let bytes = try golden("orders+0+0000000000" + suffix)
            return CompanionChecksum(byteSize: Int64(bytes.count), crc64nvme: CRC64NVME.checksum(bytes).base64)
        }
        #expect(
            manifest.objects.first?.companionChecksums?.map { CompanionChecksum(byteSize: $0.byteSize, crc64nvme: $0.crc64nvme) }
                == expected)
        #expect(manifest.objects.first?.companionChecksums?.allSatisfy { $0.etag?.isEmpty == false } == true)
        #expect(manifest.store.format == .confluentJSON)
    }

    @Test func valueThatIsNotJSONFailsNamingTheRecordOrIsSkippedAndCounted() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("mixed", partitions: 1)
        try fixture.produce(
            [#"{"ok":1}"#, "not json", #"{"ok":2}"#].enumerated().map { n, value in
                KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array(value.utf8), timestamp: 1_700_000_000_000 + Int64(n))
            } + [KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: nil, timestamp: 1_700_000_000_009)])

        let failing = MemoryStore()
        let error = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: failing, topics: [topic], ["format": "confluent-json"])
        }
        // The record stays in Kafka: a rerun would meet it again, so exit 2, not a retry.
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("topic \(topic) partition 0 offset 1") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("cannot write as confluent-json: value column 1: ") == true, "\(error?.message ?? "")")
        #expect(try await StoreContents.manifests(failing).isEmpty)

        let skipping = MemoryStore()
        let summary = try await fixture.backup(store: skipping, topics: [topic], ["format": "confluent-json", "on-invalid-json": "skip"])
        #expect(summary.records == 2)
        #expect(summary.skippedRecords == 2)  // "not json" and the tombstone
        let manifest = try #require(try await StoreContents.manifests(skipping).first)
        #expect(manifest.continuityProblems().isEmpty, "\(manifest.continuityProblems())")
        let key = try #require(manifest.objects.first?.key)
        #expect(try await skipping.get(key) == Array("{\"ok\":1}\n{\"ok\":2}\n".utf8))
    }

    /// A key Confluent's companion line cannot carry is named as the key, not left to guess.
    @Test func aKeyThatIsNotUTF8IsNamedAsTheKey() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("badkey", partitions: 1)
        try fixture.produce([
            KafkaProducerRecord(
                topic: topic, partition: 0, key: [0xFF, 0xFE], value: Array(#"{"ok":1}"#.utf8), timestamp: 1_700_000_000_000)
        ])
        let error = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: MemoryStore(), topics: [topic], ["format": "confluent-json", "store-keys": "true"])
        }
        #expect(error?.kind == .invalidInput)
        #expect(
            error?.message.contains("cannot write as confluent-json: key column 1: bytes are not valid UTF-8") == true,
            "\(error?.message ?? "")")
    }

    @Test func gzipObjectsAreReadableByGzip() async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("zipped", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 30)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try LocalDirectoryStore(root: directory.path)
        _ = try await fixture.backup(store: store, topics: [topic], ["compression": "gzip", "flush-size": "10"])
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.objects.count == 4)
        for object in manifest.objects {
            #expect(object.key.hasSuffix(".ktape.json.gz"))
            let gunzip = ChildProcess()
            gunzip.executableURL = URL(fileURLWithPath: "/bin/sh")
            gunzip.arguments = ["-c", "gzip -dc \"$0\"", directory.appendingPathComponent(object.key).path]
            let output = Pipe()
            gunzip.standardOutput = output
            try gunzip.run()
            let plain = Array(output.fileHandleForReading.readDataToEndOfFile())
            gunzip.waitUntilExit()
            #expect(gunzip.terminationStatus == 0)
            let offsets = try StoreContents.envelopeOffsets(plain)
            #expect(offsets.count == Int(object.recordCount))
            #expect(offsets.first == object.firstOffset && offsets.last == object.lastOffset)
        }
    }
}
