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
