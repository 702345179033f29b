import Checksums
import Foundation
import Testing
@testable import Backup
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore

/// One run against moto's S3 server with signature checking (`scripts/s3-server`), on loopback.
@Suite struct S3BackupTests {
    @Test func backupIntoS3WithMultipartAndAPrefix() async throws {
        let server = try await S3TestServer.shared.value
        let bucket = "ktape-backup-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try S3Store(
            config: S3Configuration(bucket: bucket, endpoint: server.endpoint),
            credentials: StaticCredentialsProvider(server.credentials), transport: CurlTransport())
        try await store.createBucket()

        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("s3", partitions: 2)
        // Partition 0: one 6 MiB object (escaped quotes), uploaded in two parts; partition 1: small JSON.
        try fixture.produce(
            (0..<6).map { n in
                KafkaProducerRecord(
                    topic: topic, partition: 0, key: nil, value: Array(repeating: UInt8(ascii: "\""), count: 512 * 1024),
                    timestamp: 1_700_000_000_000 + Int64(n))
            })
        try fixture.produce(
            (0..<5).map { n in
                KafkaProducerRecord(
                    topic: topic, partition: 1, key: nil, value: Array("{\"n\":\(n)}".utf8),
                    timestamp: 1_700_000_000_000 + Int64(n))
            })
        var request = try fixture.request(store: store, topics: [topic], ["part-size": "5MiB"])
        request.layout = StoreLayout(prefix: "backups/prod", topicsDir: "topics")
        let summary = try await BackupEngine.run(request)
        #expect(summary.records == 11)
        #expect(summary.objects == 2)

        let keys = try await store.listAll(prefix: "").map(\.key)
        #expect(keys.contains("backups/prod/topics/\(topic)/partition=0/\(topic)+0+0000000000.ktape.json"))
        #expect(keys.contains("backups/prod/topics/\(topic)/partition=1/\(topic)+1+0000000000.ktape.json"))
        // The lease is gone from the lock; the probe that proved the server refuses conditional writes stays.
        #expect(keys.filter { $0.contains("_ktape/locks/") } == [request.layout.conditionalWriteProbeKey, request.layout.storeLockKey])
        #expect(try await store.holdsNoLease(request.layout.storeLockKey))
        let manifests = try await StoreContents.manifests(store, layout: request.layout)
        let manifest = try #require(manifests.first)
        #expect(manifest.continuityProblems().isEmpty)
        for object in manifest.objects {
            let bytes = try await store.get(object.key)
            #expect(Int64(bytes.count) == object.byteSize)
            #expect(CRC64NVME.checksum(bytes).base64 == object.crc64nvme)
            // The server computed the same full-object checksum from the parts it received.
            let stored = try #require(try await store.headWithChecksum(object.key).checksum)
            #expect(stored.algorithm == "CRC64NVME" && stored.value == object.crc64nvme && stored.isFullObject, "\(stored)")
        }
        #expect(try #require(manifest.objects.first).byteSize > 5 * 1024 * 1024)
        #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
    }
}
