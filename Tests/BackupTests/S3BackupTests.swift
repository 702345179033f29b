import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// One run against moto's S3 server with signature checking (`scripts/s3-server`), on loopback.
@Suite struct S3BackupTests {
    @Test func backupIntoS3WithMultipartAndAPrefix() async throws {
        let server = try await S3Server.shared.value
        let bucket = "ktape-backup-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try S3Store(config: S3Configuration(bucket: bucket, endpoint: server.endpoint),
                                credentials: StaticCredentialsProvider(server.credentials), transport: CurlTransport())
        try await store.createBucket()

        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("s3", partitions: 2)
        // Partition 0: one 9 MiB object (escaped control bytes), uploaded in two parts; partition 1: small JSON.
        try fixture.produce((0..<6).map { n in
            KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array(repeating: 1, count: 256 * 1024),
                                timestamp: 1_700_000_000_000 + Int64(n))
        })
        try fixture.produce((0..<5).map { n in
            KafkaProducerRecord(topic: topic, partition: 1, key: nil, value: Array("{\"n\":\(n)}".utf8),
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
        #expect(!keys.contains { $0.contains("_ktape/locks/") })
        let manifests = try await StoreContents.manifests(store, layout: request.layout)
        let manifest = try #require(manifests.first)
        #expect(manifest.continuityProblems().isEmpty)
        for object in manifest.objects {
            let bytes = try await store.get(object.key)
            #expect(Int64(bytes.count) == object.byteSize)
            #expect(Checksum.sha256Hex(bytes) == object.sha256)
        }
        #expect(try #require(manifest.objects.first).byteSize > 5 * 1024 * 1024)
        #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
    }
}

/// moto's S3 server, started once per test process by `scripts/s3-server` (which stops it when
/// this process exits).
final class S3Server: @unchecked Sendable {
    let endpoint: String
    let credentials: Credentials
    private let process: Process

    private init(endpoint: String, credentials: Credentials, process: Process) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.process = process
    }

    static let shared = Task { try await S3Server.start() }

    static func start() async throws -> S3Server {
        setenv("AWS_EC2_METADATA_DISABLED", "true", 1)
        let process = Process()
        process.executableURL = KilledRunTests.root.appendingPathComponent("scripts/s3-server")
        process.arguments = ["--log", NSTemporaryDirectory() + "ktape-backup-moto.log"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let handle = output.fileHandleForReading
        let text: String = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var text = ""
                while !text.contains("# ready") {
                    let data = handle.availableData
                    if data.isEmpty {
                        continuation.resume(throwing: BackupError.failure("scripts/s3-server stopped before it was ready: \(text)"))
                        return
                    }
                    text += String(decoding: data, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }
        }
        var exports: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { exports[String(pair[0])] = String(pair[1]) }
        }
        guard let endpoint = exports["AWS_ENDPOINT_URL"], let id = exports["AWS_ACCESS_KEY_ID"],
              let secret = exports["AWS_SECRET_ACCESS_KEY"] else {
            throw BackupError.failure("scripts/s3-server printed no endpoint and keys")
        }
        return S3Server(endpoint: endpoint, credentials: Credentials(accessKeyId: id, secretAccessKey: secret), process: process)
    }
}
