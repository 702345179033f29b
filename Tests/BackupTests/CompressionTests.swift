import Foundation
import Gzip
import JobSpec
import KtapeTestSupport
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Gzip objects are deflated in independent blocks on every core (`GzipBlocks`) at `compression-level`,
/// and stay deterministic: the same records and level give the same bytes, whatever ran when.
@Suite struct CompressionTests {
    /// About 2 MiB per object: eight 256 KiB blocks, so several deflate at once.
    func produceLargeRecords(_ fixture: BackupFixture, topic: String) throws {
        try fixture.produce(
            (0..<1200).map { n in
                let text = (0..<400).map { "word\(($0 * 7 + n) % 97)" }.joined(separator: " ")
                return KafkaProducerRecord(
                    topic: topic, partition: Int32(n % 2), key: Array("k\(n)".utf8),
                    value: Array("{\"n\":\(n),\"text\":\"\(text)\"}".utf8), timestamp: 1_700_000_000_000 + Int64(n))
            })
    }

    @Test func blocksDeflatedSideBySideGiveTheSameBytesEveryRunAndTheLevelIsRecorded() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("zipped", partitions: 2)
        try produceLargeRecords(fixture, topic: topic)
        let first = MemoryStore()
        let second = MemoryStore()
        let smallest = MemoryStore()
        _ = try await fixture.backup(store: first, topics: [topic], ["compression": "gzip"])
        _ = try await fixture.backup(store: second, topics: [topic], ["compression": "gzip"])
        _ = try await fixture.backup(store: smallest, topics: [topic], ["compression": "gzip", "compression-level": "9"])
        let a = try await StoreContents.snapshot(first, prefix: "topics/")
        #expect(a.count == 2)
        #expect(a == (try await StoreContents.snapshot(second, prefix: "topics/")))
        for bytes in a.values { #expect(try gunzipped(bytes).count > 4 * 256 * 1024, "several blocks per object") }

        let nine = try await StoreContents.snapshot(smallest, prefix: "topics/")
        for (key, bytes) in a {
            let other = try #require(nine[key])
            #expect(other != bytes && other.count < bytes.count)
            #expect(try gunzipped(other) == (try gunzipped(bytes)))
            #expect(try StoreContents.envelopeOffsets(try gunzipped(bytes)).count == 600)
        }
        let manifest = try #require(try await StoreContents.manifests(first).first)
        #expect(manifest.store.compressionLevel == BackupSettings.defaultCompressionLevel)
        #expect(try await StoreContents.manifests(smallest).first?.store.compressionLevel == 9)
    }

    /// Producers compress their batches (`compression.type`), and real clusters hold all four codecs:
    /// the backup reads each as the records produced, with their keys, headers and times.
    @Test(arguments: ["gzip", "snappy", "lz4", "zstd"])
    func recordsProducedUnderEveryKafkaCodecAreBackedUpAsProduced(codec: String) async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("codec-\(codec)", partitions: 1)
        let produced = (0..<500).map { n in
            KafkaProducerRecord(
                topic: topic, partition: 0, key: Array("key-\(n)".utf8),
                value: Array("value \(n) \(String(repeating: "abc", count: n % 40))".utf8),
                headers: [KafkaHeader(name: "h", value: Array("\(n)".utf8))], timestamp: 1_700_000_000_000 + Int64(n))
        }
        try fixture.produce(produced, settings: ["compression.type": codec, "linger.ms": "50"])
        let store = MemoryStore()
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 500)
        let lines = try await StoreContents.snapshot(store, prefix: "topics/").sorted { $0.key < $1.key }
            .flatMap { StoreContents.lines($0.value) }
        try #require(lines.count == 500)
        for (n, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(object["offset"] as? Int == n)
            #expect(object["key"] as? String == "key-\(n)")
            #expect(object["value"] as? String == String(decoding: produced[n].value ?? [], as: UTF8.self))
            #expect(object["timestamp"] as? Int == 1_700_000_000_000 + n)
            let headers = try #require(object["headers"] as? [[String: Any]])
            #expect(headers.count == 1 && headers[0]["name"] as? String == "h" && headers[0]["value"] as? String == "\(n)")
        }
    }

    /// A line longer than a block (a record of megabytes) is cut across blocks, each at most 256 KiB
    /// of input, and the object inflates to the lines as given. Held whole, each of an object's
    /// blocks in flight held a whole record: 16 partitions of 16 MiB records took 450 MiB.
    @Test func aLineLongerThanABlockIsCutAcrossBlocks() async throws {
        let store = MemoryStore()
        let stream = try ObjectStream(
            key: "t/0.json.gz", store: store, options: PutOptions(), partSize: 5 * 1024 * 1024, concurrency: 2,
            gzip: ObjectStream.GzipSettings(level: 1))
        var lines: [[UInt8]] = [Array("{\"small\":1}\n".utf8)]
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let long: [UInt8] = (0..<(3 * 1024 * 1024 + 17)).map { (i: Int) -> UInt8 in alphabet[i % 26] }
        lines.append(long + [0x0A])
        lines.append(Array("{\"small\":2}\n".utf8))
        for line in lines { try stream.append(line) }
        _ = try await stream.finish().value
        #expect(stream.largestBlock == 256 * 1024)
        #expect(try gunzipped(try await store.get("t/0.json.gz")) == lines.flatMap { $0 })
    }

    @Test func aLevelWithoutGzipOrOutsideOneToNineIsRefused() throws {
        let fixture = try BackupFixture(brokers: 1)
        #expect(throws: JobSpecError.self) { try fixture.settings(topics: ["t"], ["compression-level": "5"]) }
        #expect(throws: JobSpecError.self) { try fixture.settings(topics: ["t"], ["compression": "gzip", "compression-level": "10"]) }
        #expect(throws: JobSpecError.self) { try fixture.settings(topics: ["t"], ["compression": "gzip", "compression-level": "0"]) }
        // The default level reads back from a printed config whatever the compression.
        let level = String(BackupSettings.defaultCompressionLevel)
        #expect(
            try fixture.settings(topics: ["t"], ["compression-level": level]).compressionLevel.value
                == BackupSettings.defaultCompressionLevel)
    }
}
