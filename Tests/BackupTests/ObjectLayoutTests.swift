import Checksums
import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Keys in Confluent's naming, objects cut at flush-size, and a manifest that accounts for every offset.
@Suite struct ObjectLayoutTests {
    @Test func keysFollowConfluentNamingAndObjectsHoldFlushSizeRecords() async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("orders", partitions: 3)
        try fixture.produceJSON(topic: topic, partitions: 3, count: 21)  // 7 per partition
        let store = MemoryStore()

        let summary = try await fixture.backup(store: store, topics: [topic], ["flush-size": "3"])

        let keys = try await StoreContents.dataKeys(store)
        let expected = (0..<3).flatMap { p in
            [0, 3, 6].map { offset in
                "topics/\(topic)/partition=\(p)/\(topic)+\(p)+\(ObjectKey.paddedOffset(Int64(offset))).ktape.json"
            }
        }.sorted()
        #expect(keys == expected)
        #expect(keys.first?.hasSuffix("+0000000000.ktape.json") == true)
        for key in keys {
            let offsets = try StoreContents.envelopeOffsets(try await store.get(key))
            #expect(offsets.count == (key.hasSuffix("+0000000006.ktape.json") ? 1 : 3), "\(key)")
            #expect(offsets == offsets.sorted())
        }
        #expect(summary.records == 21)
        #expect(summary.objects == 9)
        #expect(summary.partitions == 3)

        let manifests = try await StoreContents.manifests(store)
        let manifest = try #require(manifests.first)
        #expect(manifests.count == 1)
        #expect(manifest.objects.count == 9)
        #expect(manifest.continuityProblems().isEmpty, "\(manifest.continuityProblems())")
        #expect(manifest.partitions.map(\.endOffset) == [7, 7, 7])
        #expect(manifest.topics.map(\.partitionCount) == [3])
        // Each object's checksum and size are those of the bytes stored.
        for object in manifest.objects {
            let bytes = try await store.get(object.key)
            #expect(object.byteSize == Int64(bytes.count))
            #expect(object.crc64nvme == CRC64NVME.checksum(bytes).base64)
        }
        // The lease is released.
        #expect(try await store.holdsNoLease(fixture.layout.storeLockKey))
    }

    @Test func sameRecordsGiveSameKeysAndBytes() async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("determinism", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 40)
        let first = MemoryStore()
        let second = MemoryStore()
        _ = try await fixture.backup(store: first, topics: [topic], ["flush-size": "7", "compression": "gzip"])
        _ = try await fixture.backup(store: second, topics: [topic], ["flush-size": "7", "compression": "gzip"])
        let a = try await StoreContents.snapshot(first, prefix: "topics/")
        let b = try await StoreContents.snapshot(second, prefix: "topics/")
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test func objectLargerThanPartSizeIsUploadedInPartsWhileWritten() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("large", partitions: 1)
        // Quotes escape to two characters (\"): 3 MiB of values make a 6 MiB object, while the mock
        // keeps all of it (it drops batches only past about 5 MiB).
        try fixture.produce(
            (0..<6).map { n in
                KafkaProducerRecord(
                    topic: topic, partition: 0, key: nil, value: Array(repeating: UInt8(ascii: "\""), count: 512 * 1024),
                    timestamp: 1_700_000_000_000 + Int64(n))
            })
        let store = PartCountingStore(base: MemoryStore())
        let summary = try await fixture.backup(store: store, topics: [topic], ["part-size": "5MiB"])
        #expect(summary.records == 6)
        let manifest = try #require(try await StoreContents.manifests(store).first)
        let object = try #require(manifest.objects.first)
        #expect(manifest.objects.count == 1)
        #expect(object.byteSize > 5 * 1024 * 1024)
        #expect(store.parts == 2)
        #expect(try StoreContents.envelopeOffsets(try await store.get(object.key)) == Array(0..<6))
    }

    @Test func storageClassAndObjectLockGoOnDataObjectsOnly() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("classy", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 4)
        let store = PartCountingStore(base: MemoryStore())
        var request = try fixture.request(
            store: store, topics: [topic],
            [
                "storage-class": "STANDARD_IA", "object-lock-mode": "GOVERNANCE", "object-lock-retain-days": "7",
                // Object Lock needs an S3 store in the settings; the run writes into `store`.
                "store": "s3://unused-bucket/p"
            ])
        request.basePutOptions.acl = "bucket-owner-full-control"
        let started = Date()
        _ = try await BackupEngine.run(request)
        let written = store.writeOptions
        let data = written.filter { $0.key.hasPrefix("topics/") }
        let metadata = written.filter { $0.key.hasPrefix("_ktape/") }
        #expect(data.count == 1 && metadata.count == 3)  // the object; the lock, the manifest and the index
        for options in data.values {
            #expect(options.storageClass == "STANDARD_IA")
            #expect(options.objectLock?.mode == .governance)
            let days = (options.objectLock?.retainUntil.timeIntervalSince(started) ?? 0) / 86_400
            #expect(days > 6.99 && days < 7.01)
            #expect(options.acl == "bucket-owner-full-control")
        }
        for options in metadata.values {
            #expect(options.storageClass == nil && options.objectLock == nil)
            #expect(options.acl == "bucket-owner-full-control")
            // Created only if absent (the lock, the manifest, the first index) or replaced only as read.
            #expect(options.ifNoneMatch || options.ifMatch != nil)
        }
    }

    @Test func maxObjectBytesStartsANewObjectAndABiggerRecordGetsItsOwn() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("capped", partitions: 1)
        // Two records of ~1.2 MiB envelope each (600 KiB of quotes, escaped), one of 5.2 MiB that
        // would take the object past its 5 MiB cap and is past it alone, then a small one. (The mock
        // keeps at most 5 MiB of a partition, and text is at most twice its bytes.)
        let sizes = [600 * 1024, 600 * 1024, 2650 * 1024, 1024]
        let records = sizes.enumerated().map { n, size in
            KafkaProducerRecord(
                topic: topic, partition: 0, key: nil, value: Array(repeating: UInt8(ascii: "\""), count: size),
                timestamp: 1_700_000_000_000 + Int64(n))
        }
        try fixture.produce(records, settings: ["message.max.bytes": "8000000"])
        let store = MemoryStore()
        _ = try await fixture.backup(store: store, topics: [topic], ["part-size": "5MiB", "max-object-bytes": "5MiB"])
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.objects.map(\.firstOffset) == [0, 2, 3])
        #expect(manifest.objects.map(\.recordCount) == [2, 1, 1])
        #expect(manifest.objects[1].byteSize > 5 * 1024 * 1024)
        #expect(manifest.continuityProblems().isEmpty)
    }
}

/// A store that counts multipart parts and remembers the options each key was written with.
// @unchecked Sendable: its mutable state is under `lock`.
final class PartCountingStore: ObjectStore, @unchecked Sendable {
    let base: MemoryStore
    private let lock = NSLock()
    private var partCount = 0
    private var optionsByKey: [String: PutOptions] = [:]
    var parts: Int { lock.withLock { partCount } }
    var writeOptions: [String: PutOptions] { lock.withLock { optionsByKey } }
    var location: String { base.location }
    init(base: MemoryStore) { self.base = base }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        lock.withLock { optionsByKey[key] = options }
        return try await base.put(key, body: body, options: options)
    }
    func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        lock.withLock { optionsByKey[key] = options }
        return try await base.createMultipartUpload(key, options: options)
    }
    func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        lock.withLock { partCount += 1 }
        return try await base.uploadPart(key, uploadId: uploadId, partNumber: partNumber, body: body)
    }
    func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        try await base.completeMultipartUpload(key, uploadId: uploadId, parts: parts)
    }
    func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        try await base.abortMultipartUpload(key, uploadId: uploadId)
    }
    func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] { try await base.listMultipartUploads(prefix: prefix) }
    func get(_ key: String, range: ByteRange?) async throws -> [UInt8] { try await base.get(key, range: range) }
    func getTagged(_ key: String) async throws -> TaggedObject { try await base.getTagged(key) }
    func head(_ key: String) async throws -> ObjectInfo { try await base.head(key) }
    func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
    }
    func delete(_ key: String, ifMatch: String?) async throws { try await base.delete(key, ifMatch: ifMatch) }
    func delete(keys: [String]) async throws { try await base.delete(keys: keys) }
}
