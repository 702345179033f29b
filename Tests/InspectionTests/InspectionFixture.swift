import Checksums
import Foundation
import KtapeTestSupport
import Inspection
import Layout
import ObjectStore
import RecordFormats

/// A store on disk written the way backup runs write one (envelope or confluent-json objects plus one
/// manifest per run), built with Layout's encoders; `copy()` is what `aws s3 sync` makes of it.
// @unchecked Sendable: changed only by its test's task, one run written after another.
final class InspectionFixture: @unchecked Sendable {
    let root: URL
    let store: LocalDirectoryStore
    let layout: StoreLayout
    private(set) var manifests: [RunManifest] = []
    private var nextOffsets: [TopicPartition: Int64] = [:]
    /// Manifests checksum objects with CRC64NVME as backups write them now; false writes SHA-256 as
    /// manifests before version 3 did.
    var crc64nvme = false

    init(root: URL? = nil, layout: StoreLayout = StoreLayout(prefix: "", topicsDir: "topics")) throws {
        self.root = try root ?? Self.temporaryDirectory()
        self.store = try LocalDirectoryStore(root: self.root.path)
        self.layout = layout
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func record(_ offset: Int64) -> KafkaRecord {
        KafkaRecord(
            offset: offset, timestamp: 1_800_000_000_000 + offset, timestampType: .createTime,
            key: Array("key-\(offset)".utf8), value: Array("{\"n\":\(offset),\"text\":\"value \(offset)\"}".utf8))
    }

    /// One run: `counts[topic][partition]` more records per partition (continuing from the previous
    /// run), `perObject` records per object; returns the manifest it wrote.
    @discardableResult
    func writeRun(
        _ counts: [String: [Int32: Int64]], perObject: Int64 = 3, gzip: Bool = false,
        previousRunId: RunID?? = .none
    ) async throws -> RunManifest {
        let runId = RunID(
            startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(manifests.count * 3600)),
            shard: "all", randomSuffix: UInt32(0xabc0 + manifests.count))
        let kind = ObjectFileKind(.envelope, gzip ? .gzip : .none)
        var objects: [ManifestObject] = []
        var partitions: [ManifestPartition] = []
        for (topic, byPartition) in counts.sorted(by: { $0.key < $1.key }) {
            for (partition, count) in byPartition.sorted(by: { $0.key < $1.key }) {
                let tp = TopicPartition(topic, partition)
                let start = nextOffsets[tp] ?? 0
                let end = start + count
                for first in stride(from: start, to: end, by: Int(perObject)) {
                    let last = min(end, first + perObject) - 1
                    var body: [UInt8] = []
                    for offset in first...last { EnvelopeEncoder.append(Self.record(offset), to: &body) }
                    if gzip { body = try gzipped(body) }
                    let key = layout.key(for: try ObjectKey(topic: topic, partition: partition, startOffset: first, kind: kind))
                    try await store.put(key, body: body)
                    objects.append(
                        ManifestObject(
                            key: key, topic: topic, partition: partition, firstOffset: first,
                            lastOffset: last, recordCount: last - first + 1, byteSize: Int64(body.count),
                            crc64nvme: crc64nvme ? CRC64NVME.checksum(body).base64 : nil,
                            sha256: crc64nvme ? nil : Digest.hex(Digest.sha256(body)),
                            minTimestamp: Self.record(first).timestamp, maxTimestamp: Self.record(last).timestamp))
                }
                nextOffsets[tp] = end
                partitions.append(
                    ManifestPartition(
                        topic: topic, partition: partition, startOffset: start, endOffset: end,
                        endOffsetAtStart: end))
            }
        }
        let topics = counts.keys.sorted().map { ManifestTopic(name: $0, partitionCount: Int32(counts[$0]?.count ?? 0)) }
        let started = Date(timeIntervalSince1970: 1_800_000_000 + Double(manifests.count * 3600))
        let manifest = RunManifest(
            runId: runId, previousRunId: previousRunId ?? manifests.last?.runId, job: "nightly",
            shard: "all", startedAt: started, finishedAt: started.addingTimeInterval(60),
            store: ManifestStoreSettings(
                topicsDir: layout.topicsDir, format: .envelope,
                compression: gzip ? .gzip : .none),
            configHash: "test", topics: topics, partitions: partitions, objects: objects)
        try await store.put(layout.runManifestKey(runId), body: Array(try manifest.encoded(layout: layout)))
        manifests.append(manifest)
        return manifest
    }

    /// Makes the next run start `tp` at `offset` again, as a run of another copy of the store does.
    func rewind(_ topic: String, _ partition: Int32, to offset: Int64) { nextOffsets[TopicPartition(topic, partition)] = offset }

    /// `_ktape/index.json` as backups fold it, of `manifests` (all runs so far by default).
    func writeIndex(of manifests: [RunManifest]? = nil) async throws {
        try await store.put(layout.indexKey, body: Array(try StoreIndex.of(manifests ?? self.manifests).encoded()))
    }

    /// The standard store of these tests: two runs over `orders` (2 partitions) and `events` (1).
    static func standard(gzip: Bool = false, crc64nvme: Bool = false) async throws -> InspectionFixture {
        let fixture = try InspectionFixture()
        fixture.crc64nvme = crc64nvme
        try await fixture.writeRun(["orders": [0: 7, 1: 4], "events": [0: 3]], gzip: gzip)
        try await fixture.writeRun(["orders": [0: 2, 1: 3], "events": [0: 0]], gzip: gzip)
        return fixture
    }

    /// A directory copy, as `aws s3 sync` makes of a bucket.
    func copy() throws -> InspectionFixture {
        let target = try Self.temporaryDirectory()
        try FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: root, to: target)
        let copy = try InspectionFixture(root: target, layout: layout)
        copy.manifests = manifests
        copy.crc64nvme = crc64nvme
        return copy
    }

    func verify(_ options: VerifyOptions = VerifyOptions(concurrency: 3, chunkSize: 64)) async throws -> VerifyReport {
        try await StoreVerifier(store: store, layout: layout, options: options).run()
    }

    func path(_ key: String) -> URL { root.appendingPathComponent(key) }

    func bytes(_ key: String) throws -> [UInt8] { Array(try Data(contentsOf: path(key))) }

    func write(_ key: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(at: path(key).deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: path(key))
    }

    func remove(_ key: String) throws { try FileManager.default.removeItem(at: path(key)) }
}
