import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore
import KtapeTestSupport
import StoreMetadata
import JobSpec

/// A mock cluster (in this process, or in its own with `MockKafkaProcess`) with topics and records,
/// and helpers to run backups into a store.
// @unchecked Sendable: its fields never change; createTopic is called from the test's task only.
final class BackupFixture: @unchecked Sendable {
    let kafka: KafkaConfig
    let layout = StoreLayout(prefix: "", topicsDir: "topics")
    private let createTopic: (String, Int32) throws -> Void
    /// Keeps the in-process cluster alive as long as the fixture.
    private let inProcess: KafkaMockCluster?

    init(brokers: Int = 3) throws {
        let cluster = try KafkaMockCluster(brokers: brokers)
        inProcess = cluster
        kafka = cluster.config
        createTopic = { try cluster.createTopic($0, partitions: $1) }
    }

    /// A fixture on a cluster in another process (see `MockKafkaProcess` for when that is needed).
    init(process: MockKafkaProcess) {
        inProcess = nil
        kafka = KafkaConfig(bootstrapServers: process.bootstrap)
        createTopic = { try process.createTopic($0, partitions: Int($1)) }
    }

    /// Creates a topic with a name no other test uses and returns it.
    func topic(_ stem: String, partitions: Int32) throws -> String {
        let name = "\(stem)-\(UUID().uuidString.prefix(8).lowercased())"
        try createTopic(name, partitions)
        return name
    }

    /// The in-process cluster answers its next requests of API `apiKey` with `errors`.
    func failNextRequests(apiKey: Int16, with errors: [KafkaError.Code]) throws {
        try #require(inProcess, "error injection needs the in-process cluster").failNextRequests(apiKey: apiKey, with: errors)
    }

    /// Creates a topic with exactly this name.
    func topic(named name: String, partitions: Int32) throws {
        try createTopic(name, partitions)
    }

    /// Produces records and checks every one was delivered; `settings` go to the producer.
    func produce(_ records: [KafkaProducerRecord], settings: [String: String] = [:]) throws {
        var config = kafka
        try config.set("linger.ms", "5")
        for (name, value) in settings { try config.set(name, value) }
        let log = DeliveryLog()
        let producer = try KafkaProducer(config: config, onDelivery: log.append)
        for (index, record) in records.enumerated() { try producer.produce(record, id: UInt64(index)) }
        try producer.flush(timeoutMilliseconds: 30_000)
        let failed = log.reports.filter { $0.error != nil }
        #expect(failed.isEmpty, "deliveries failed: \(failed.first?.error.map { "\($0)" } ?? "")")
        #expect(log.reports.count == records.count)
    }

    /// `count` JSON records spread round-robin over `partitions`, each with a key, a header and
    /// its own timestamp.
    func produceJSON(topic: String, partitions: Int32, count: Int, from start: Int = 0) throws {
        try produce(
            (start..<(start + count)).map { n in
                KafkaProducerRecord(
                    topic: topic, partition: Int32(n) % partitions, key: Array("k\(n)".utf8),
                    value: Array("{\"n\":\(n),\"text\":\"record \(n)\"}".utf8),
                    headers: [KafkaHeader(name: "h", value: Array("v\(n)".utf8))],
                    timestamp: 1_700_000_000_000 + Int64(n))
            })
    }

    /// Settings as a job would give them; `flags` are job keys (`"flush-size": "3"`).
    func settings(topics: [String], _ flags: [String: String] = [:]) throws -> BackupSettings {
        var document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar(kafka.bootstrapServers),
            "store": .scalar("/unused"),
            "topics": .list(topics)
        ]
        for (key, value) in flags { document[key] = .scalar(value) }
        let spec = try JobSpec(document: .flags(document), command: .backup)
        return try #require(spec.backup)
    }

    /// For tests that read named groups' committed offsets, which the mock does answer: 0.3 s was
    /// too short for them under a loaded AddressSanitizer pass (no offsets were saved).
    static let groupOffsetsTimeout: TimeInterval = 10

    func request(
        store: any ObjectStore, topics: [String], _ flags: [String: String] = [:],
        job: String = "test"
    ) throws -> BackupRequest {
        var request = BackupRequest(
            job: job, settings: try settings(topics: topics, flags), kafka: kafka,
            store: store, layout: layout)
        request.connectTimeout = 2
        request.stallTimeout = 30
        // librdkafka's mock answers neither DescribeConfigs nor ListGroups: do not wait long for them.
        request.clusterFactsTimeout = 0.3
        let warnings = WarningLog.shared
        request.warn = { warnings.append($0) }
        return request
    }

    func backup(store: any ObjectStore, topics: [String], _ flags: [String: String] = [:]) async throws -> BackupSummary {
        try await BackupEngine.run(try request(store: store, topics: topics, flags))
    }
}

/// Collects delivery reports handed to a producer's callback.
// @unchecked Sendable: its mutable state is under `lock`.
final class DeliveryLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [KafkaDeliveryReport] = []
    var reports: [KafkaDeliveryReport] { lock.withLock { stored } }
    func append(_ report: KafkaDeliveryReport) { lock.withLock { stored.append(report) } }
}

/// Warnings of every run in the process (tests look for their own topic's lines).
// @unchecked Sendable: its mutable state is under `lock`.
final class WarningLog: @unchecked Sendable {
    static let shared = WarningLog()
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    func lines(containing text: String) -> [String] { lock.withLock { lines.filter { $0.contains(text) } } }
}

/// Reading back what a run wrote.
enum StoreContents {
    static func manifests(_ store: any ObjectStore, layout: StoreLayout = StoreLayout()) async throws -> [RunManifest] {
        try await ManifestHistory.load(store: store, layout: layout)
    }

    /// Data keys (everything under the topics dir), sorted.
    static func dataKeys(_ store: any ObjectStore, layout: StoreLayout = StoreLayout()) async throws -> [String] {
        try await store.listAll(prefix: layout.topicsFolder).map(\.key).sorted()
    }

    /// The offsets held by an envelope object, decoded line by line.
    static func envelopeOffsets(_ bytes: [UInt8]) throws -> [Int64] {
        try lines(bytes).map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            return try #require((object["offset"] as? NSNumber)?.int64Value)
        }
    }

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
    }

    /// Every key under `prefix` with its bytes.
    static func snapshot(_ store: any ObjectStore, prefix: String) async throws -> [String: [UInt8]] {
        var all: [String: [UInt8]] = [:]
        for object in try await store.listAll(prefix: prefix) { all[object.key] = try await store.get(object.key) }
        return all
    }
}
