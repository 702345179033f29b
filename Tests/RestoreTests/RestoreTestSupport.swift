import Checksums
import Foundation
import KtapeTestSupport
import Kafka
import Layout
import ObjectStore
import Restore
import SigV4
import Testing
import RecordFormats

/// A store written the way a backup run writes one: envelope (or confluent-json) objects under the
/// topics dir plus one manifest per run, built with Layout's encoders (no backup engine needed).
// @unchecked Sendable: changed only by its test's task, one run written after another.
final class StoreFixture: @unchecked Sendable {
    let store: any ObjectStore
    let layout: StoreLayout
    private(set) var runs: [RunID] = []
    private var runCounter = 0

    init(
        store: any ObjectStore = MemoryStore(name: "memory://fixture"),
        layout: StoreLayout = StoreLayout(prefix: "backups", topicsDir: "topics")
    ) {
        self.store = store
        self.layout = layout
    }

    /// What a fixture's manifest records of each object's bytes: SHA-256 (as manifest versions 1 and 2
    /// did), CRC64NVME (version 3, what ktape writes now), or nothing (damage is then found only
    /// where it breaks a line, as in a store without manifests).
    enum Checksum { case sha256, crc64nvme, none }

    /// Writes one run: `records[topic][partition]` split into objects of `perObject` records, and its
    /// manifest.
    @discardableResult
    func writeRun(
        _ records: [String: [Int32: [RecordFormats.KafkaRecord]]], partitionCounts: [String: Int32],
        perObject: Int = 3, gzip: Bool = false, format: StoreFormat = .envelope,
        groupOffsets: [ManifestGroupOffset] = [], removedGroupOffsets: [ManifestGroupPartition] = [],
        timestampTypes: [String: TopicTimestampType] = [:],
        configs: [String: [String: String]] = [:], recordTimes: Bool = true, checksum: Checksum = .sha256
    ) async throws -> RunManifest {
        runCounter += 1
        let runId = RunID(
            startedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(runCounter)), shard: "all",
            randomSuffix: UInt32(runCounter))
        var objects: [ManifestObject] = []
        var partitions: [ManifestPartition] = []
        for (topic, byPartition) in records.sorted(by: { $0.key < $1.key }) {
            for (partition, list) in byPartition.sorted(by: { $0.key < $1.key }) where !list.isEmpty {
                var spanStart = previousEnds[TopicPartition(topic, partition)] ?? list[0].offset
                for start in stride(from: 0, to: list.count, by: perObject) {
                    let slice = Array(list[start..<min(list.count, start + perObject)])
                    // Spans meet: offsets with no record (compacted away) belong to the object before.
                    let spanEnd = start + perObject < list.count ? list[start + perObject].offset : slice.last!.offset + 1
                    let kind = ObjectFileKind(format == .envelope ? .envelope : .values, gzip ? .gzip : .none)
                    let name = try ObjectKey(topic: topic, partition: partition, startOffset: slice[0].offset, kind: kind)
                    var body: [UInt8] = []
                    var json = ConfluentJSONCodec()
                    for record in slice {
                        if format == .envelope {
                            EnvelopeEncoder.append(record, to: &body)
                        } else {
                            try json.appendLine(value: record.value, to: &body)
                        }
                    }
                    if gzip { body = try gzipped(body) }
                    let key = layout.key(for: name)
                    try await store.put(key, body: body)
                    objects.append(
                        ManifestObject(
                            key: key, topic: topic, partition: partition,
                            firstOffset: slice[0].offset, lastOffset: slice.last!.offset,
                            spanStart: spanStart, spanEnd: spanEnd,
                            recordCount: Int64(slice.count), byteSize: Int64(body.count),
                            crc64nvme: checksum == .crc64nvme ? CRC64NVME.checksum(body).base64 : nil,
                            sha256: checksum == .sha256 ? Digest.hex(Digest.sha256(body)) : nil,
                            minTimestamp: recordTimes ? slice.map(\.timestamp).min() : nil,
                            maxTimestamp: recordTimes ? slice.map(\.timestamp).max() : nil))
                    spanStart = spanEnd
                }
                let previousEnd = previousEnds[TopicPartition(topic, partition)] ?? list[0].offset
                let end = list.last!.offset + 1
                previousEnds[TopicPartition(topic, partition)] = end
                partitions.append(
                    ManifestPartition(
                        topic: topic, partition: partition, startOffset: previousEnd,
                        endOffset: end, endOffsetAtStart: end))
            }
        }
        let topics = partitionCounts.sorted(by: { $0.key < $1.key }).map {
            ManifestTopic(
                name: $0.key, partitionCount: $0.value, configs: configs[$0.key] ?? [:],
                timestampType: timestampTypes[$0.key] ?? .createTime)
        }
        let manifest = RunManifest(
            runId: runId, previousRunId: runs.last, job: "test", shard: "all",
            startedAt: Date(), finishedAt: Date(),
            store: ManifestStoreSettings(
                topicsDir: layout.topicsDir, format: format,
                compression: gzip ? .gzip : .none),
            configHash: "test", topics: topics, partitions: partitions, objects: objects,
            consumerGroupOffsets: groupOffsets, removedGroupOffsets: removedGroupOffsets)
        try await store.put(layout.runManifestKey(runId), body: Array(try manifest.encoded(layout: layout)))
        runs.append(runId)
        return manifest
    }

    private var previousEnds: [TopicPartition: Int64] = [:]
}

/// Records of every awkward kind: binary and non-UTF-8 bytes, empty vs null key and value (tombstones),
/// headers with duplicates and null values, distinct CreateTime timestamps.
func awkwardRecords(count: Int, partition: Int32, firstOffset: Int64 = 0, salt: String = "") -> [RecordFormats.KafkaRecord] {
    (0..<count).map { i in
        let offset = firstOffset + Int64(i)
        let key: [UInt8]? = i % 5 == 1 ? nil : i % 5 == 2 ? [] : Array("k\(salt)-\(partition)-\(i)".utf8)
        let value: [UInt8]? =
            i % 7 == 3
            ? nil
            : i % 7 == 4
                ? []
                : i % 7 == 5
                    ? [0xFF, 0x00, 0xC3, UInt8(i & 0xFF)]
                    : Array("{\"p\":\(partition),\"i\":\(i)}".utf8)
        var headers: [RecordHeader] = []
        if i % 3 == 0 {
            headers = [
                RecordHeader(name: Array("h".utf8), value: Array("1".utf8)),
                RecordHeader(name: Array("h".utf8), value: nil),
                RecordHeader(name: Array("bin".utf8), value: [0x00, 0xFE])
            ]
        }
        return RecordFormats.KafkaRecord(
            offset: offset, timestamp: 1_700_000_000_000 + Int64(partition) * 100_000 + Int64(i),
            timestampType: .createTime, key: key, value: value, headers: headers)
    }
}

/// Everything in `topics`' partitions, read from the beginning until end of partition.
func readTarget(_ config: KafkaConfig, topic: String, partitions: Int32) throws -> [Int32: [ConsumedRecord]] {
    let reader = try KafkaPartitionReader(config: config)
    let all = (0..<partitions).map { TopicPartition(topic: topic, partition: $0) }
    try reader.assign(all.map { ($0, KafkaOffset.beginning) })
    var result: [Int32: [ConsumedRecord]] = [:]
    var ended = Set<Int32>()
    let deadline = Date().addingTimeInterval(30)
    while ended.count < all.count, Date() < deadline {
        for event in try reader.poll(timeoutMilliseconds: 200) {
            switch event {
            case .record(let record): result[record.partition, default: []].append(record)
            case .endOfPartition(let p, _): ended.insert(p.partition)
            case .error(let error): throw error
            default: break
            }
        }
    }
    return result
}

/// Short descriptions of how `got` differs from `expected` (key, value, headers, timestamp, order).
func differences(expected: [RecordFormats.KafkaRecord], got: [ConsumedRecord]) -> [String] {
    var problems: [String] = []
    if expected.count != got.count { problems.append("expected \(expected.count) records, got \(got.count)") }
    for (n, (e, g)) in zip(expected, got).enumerated() {
        let headers = e.headers.map { KafkaHeader(name: String(decoding: $0.name, as: UTF8.self), value: $0.value) }
        if e.key != g.key { problems.append("#\(n): key \(String(describing: e.key)) ≠ \(String(describing: g.key))") }
        if e.value != g.value { problems.append("#\(n): value differs") }
        if headers != g.headers { problems.append("#\(n): headers \(headers) ≠ \(g.headers)") }
        if e.timestamp != g.timestamp.milliseconds || g.timestamp.kind != .createTime {
            problems.append("#\(n): timestamp \(e.timestamp) ≠ \(g.timestamp)")
        }
    }
    return Array(problems.prefix(5))
}

/// Runs a restore and returns its result; with `killedAfter`, the restore ends as if killed (throwing
/// `SimulatedKill`) once that many records were handed to the producer and landed.
@discardableResult
func restore(_ fixture: StoreFixture, _ options: RestoreOptions, killedAfter records: Int? = nil) async throws -> RestoreResult {
    try await RestoreEngine(
        store: fixture.store, layout: fixture.layout, options: options,
        observer: records.map { KillAfter(records: $0) }
    ).run()
}

/// Thrown by `KillAfter`: the restore ended as if its process were killed.
struct SimulatedKill: Error {}

/// Ends a restore as a kill would once it has handed `records` records to the producer and they
/// landed, before any resume state counts them: the hardest moment for the rerun.
struct KillAfter: RestoreObserver {
    let records: Int

    func handedOver(records handed: Int) throws {
        if handed >= records { throw SimulatedKill() }
    }
}

extension StoreFixture {
    /// Replaces a target topic's resume-state document with one version 1 document per partition,
    /// as ktape wrote them before topic documents; returns their keys.
    @discardableResult
    func rewriteAsVersion1(targetCluster: String, topic: String) async throws -> [String] {
        let key = layout.restoreStateKey(targetCluster: targetCluster, topic: topic)
        let progress = try RestoreProgress.decode(Data(try await store.get(key)), name: key)
        try await store.delete(key)
        var keys: [String] = []
        for state in progress.partitions {
            var fields = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(state)) as? [String: Any])
            fields["format"] = RestoreProgress.formatName
            fields["version"] = 1
            fields["targetTopic"] = topic
            fields["updatedAt"] = "2026-11-20T10:00:00.000Z"
            let oldKey = layout.restoreStateVersion1Key(targetCluster: targetCluster, topic: topic, partition: state.partition)
            try await store.put(oldKey, body: Array(try JSONSerialization.data(withJSONObject: fields)))
            keys.append(oldKey)
        }
        return keys
    }
}

/// The name a restore into the cluster `config` reaches keys its lease and resume state by
/// (`cluster-<id>`), asked of the cluster as the restore asks it.
func targetName(_ config: KafkaConfig) throws -> String {
    let admin = try KafkaAdmin(config: config)
    try admin.checkConnection()
    return StoreLayout.restoreTargetName(clusterId: try #require(admin.clusterId(), "the cluster reports no id"))
}

/// Options for the mock cluster, which never answers DescribeConfigs or ListGroups: wait little for them.
/// `bootstrap` reaches it by another list (one of its brokers, say) than all of them.
/// Expects each partition of `topic` to hold exactly the records of the same partition in `records`, in order.
func expectTargetHolds(
    _ records: [Int32: [RecordFormats.KafkaRecord]], cluster: KafkaMockCluster, topic: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let got = try readTarget(cluster.config, topic: topic, partitions: Int32(records.count))
    for p in records.keys.sorted() {
        #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)", sourceLocation: sourceLocation)
    }
}

func mockOptions(_ cluster: KafkaMockCluster, bootstrap: String? = nil) -> RestoreOptions {
    var options = RestoreOptions(kafka: bootstrap.map { KafkaConfig(bootstrapServers: $0) } ?? cluster.config)
    options.bestEffortTimeoutMilliseconds = 300
    return options
}

/// Writes `values` into `topic`/`partition` as another producer would: records the restore did not write.
func produceStrays(_ cluster: KafkaMockCluster, topic: String, partition: Int32, values: [[UInt8]]) throws {
    let producer = try KafkaProducer(config: cluster.config, onDelivery: { _ in })
    for (n, value) in values.enumerated() {
        try producer.produce(KafkaProducerRecord(topic: topic, partition: partition, key: nil, value: value), id: UInt64(n))
    }
    try producer.flush(timeoutMilliseconds: 30_000)
}
