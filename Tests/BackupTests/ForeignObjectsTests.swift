import Failures
import Foundation
import Testing
@testable import Backup
import Layout
import StoreLock
import KtapeTestSupport
import ObjectStore

/// The first backup into a store whose topics dir holds objects no backup wrote (a Confluent sink's
/// bucket, a copy without `_ktape/`) is refused before it writes: it would write over the objects of
/// the same names and leave the others out of every restore.
@Suite struct ForeignObjectsTests {
    static let sinkKey = "topics/orders/partition=0/orders+0+0000000000.json"

    func sinkBucket(_ store: any ObjectStore) async throws {
        _ = try await store.put(Self.sinkKey, body: Array("{\"n\":1}\n".utf8))
    }

    @Test func aSinksBucketIsRefusedWithNothingWritten() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("into-sink", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-foreign-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try LocalDirectoryStore(root: directory.path)
        try await sinkBucket(store)
        // A restore's state in the bucket it read is no backup's.
        _ = try await store.put(fixture.layout.restoreStateKey(targetCluster: "c", topic: "orders"), body: Array("{}".utf8))
        for _ in 1...2 {
            let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
            #expect(error?.kind == .invalidInput)
            #expect(
                error?.message.contains("already holds data objects but no ktape backup's metadata (such as \(Self.sinkKey))") == true,
                "\(error?.message ?? "")")
            #expect(error?.message.contains("back up into another store prefix") == true, "\(error?.message ?? "")")
            // Nothing written, no lock either: the next attempt is refused the same way.
            #expect(try await StoreContents.dataKeys(store) == [Self.sinkKey])
            #expect(
                try await store.listAll(prefix: fixture.layout.metadataFolder).map(\.key).allSatisfy {
                    $0.hasPrefix(fixture.layout.restoreFolder)
                })
        }
        var request = try fixture.request(store: store, topics: [topic])
        request.layout = StoreLayout(prefix: "ktape", topicsDir: "topics")
        #expect(try await BackupEngine.run(request).records == 3)
        // The bucket's own root stays a store without manifests: a restore still lists it.
        #expect(try await store.listAll(prefix: fixture.layout.runsFolder).isEmpty)
    }

    @Test func aStoreCopiedWithoutItsMetadataIsRefusedAndWithItGoesOn() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("copied", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 4)
        let original = MemoryStore()
        _ = try await fixture.backup(store: original, topics: [topic])
        let dataOnly = MemoryStore()
        let whole = MemoryStore()
        for object in try await original.listAll(prefix: "") {
            let body = try await original.get(object.key)
            if object.key.hasPrefix(fixture.layout.topicsFolder) { _ = try await dataOnly.put(object.key, body: body) }
            _ = try await whole.put(object.key, body: body)
        }
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: dataOnly, topics: [topic]) }
        #expect(error?.message.contains("a ktape store copied without its _ktape/ folder") == true, "\(error?.message ?? "")")

        try fixture.produceJSON(topic: topic, partitions: 2, count: 2, from: 4)
        #expect(try await fixture.backup(store: whole, topics: [topic]).records == 2)
        // A store of an older ktape, with manifests but no store lock yet, goes on too.
        try await whole.delete(fixture.layout.storeLockKey)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 2, from: 6)
        #expect(try await fixture.backup(store: whole, topics: [topic]).records == 2)
    }

    /// A sink's `topics.dir` need not be this backup's: its data objects are looked for in the other
    /// top-level folders of the prefix too (topic folders right under it included). Files that are
    /// no data object (`.DS_Store`, a README) are no sink's.
    @Test(arguments: [
        (["data/kafka/orders/partition=0/orders+0+0000000000.json"], true),
        (["orders/partition=1/orders+1+00007.json.gz"], true),
        (["data/kafka/orders/dt=2026-11-24/orders+0+0000000040.keys.json"], true),
        // An Avro or Parquet sink's bucket is a sink's too, though ktape reads neither.
        (["topics/orders/partition=0/orders+0+0000000000.avro"], true),
        (["data/orders/partition=0/orders+0+0000000000.snappy.parquet"], true),
        (["topics/.DS_Store"], false),
        (["topics/orders/README.txt"], false),
        (["notes/orders+0+0000000000.json"], false),
        // A ktape store of its own under the prefix keeps its data to itself.
        (["cluster-a/_ktape/index.json", "cluster-a/topics/orders/partition=0/orders+0+0000000000.ktape.json"], false)
    ])
    func sinkDataAnywhereUnderThePrefixIsRefused(keys: [String], refused: Bool) async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("elsewhere", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 2)
        let store = MemoryStore()
        for key in keys { _ = try await store.put(key, body: Array("{}\n".utf8)) }
        if refused {
            let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: [topic]) }
            #expect(error?.message.contains("(such as \(keys[0]))") == true, "\(error?.message ?? "")")
        } else {
            #expect(try await fixture.backup(store: store, topics: [topic]).records == 2)
        }
    }

    /// Another job's first run takes the store lock and writes its first object after this run read
    /// no lock, before it looked at the topics dir: metadata is looked for after the objects, so that
    /// object is not taken for a foreign writer's, and the two runs share the lock.
    @Test func aConcurrentFirstRunIsNoForeignWriter() async throws {
        // @unchecked Sendable: `started` is under `state`.
        final class OtherRunStartsMeanwhile: ForwardingStore, @unchecked Sendable {
            let base = MemoryStore()
            var forwardee: any ObjectStore { base }
            let lockKey: String
            let lock: [UInt8]
            private let state = NSLock()
            private var started = false
            init(lockKey: String, lock: [UInt8]) {
                self.lockKey = lockKey
                self.lock = lock
            }
            func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
                let start =
                    prefix == "topics/"
                    && state.withLock { () -> Bool in
                        defer { started = true }
                        return !started
                    }
                if start {
                    _ = try await base.put(lockKey, body: lock)
                    _ = try await base.put("topics/other/partition=0/other+0+0000000000.ktape.json", body: Array("{}\n".utf8))
                }
                return try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
            }
        }
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("beside", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let now = Date()
        let other = LeaseTable.Lease(
            runId: "other-run", command: "backup", job: "other", holder: "otherhost pid 42", claims: [LeaseTable.Claim(topic: "other")],
            acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        let store = OtherRunStartsMeanwhile(lockKey: fixture.layout.storeLockKey, lock: Array(try LeaseTable(leases: [other]).encoded()))
        #expect(try await fixture.backup(store: store, topics: [topic]).records == 3)
        let key = fixture.layout.storeLockKey
        #expect(try LeaseTable.decode(Data(try await store.get(key)), name: key).leases.map(\.runId) == ["other-run"])
    }

    /// On S3, where the refusal comes after the conditional-write probe and folders can have markers.
    @Test func onS3TheRefusalRepeatsAndFolderMarkersAreNoObjects() async throws {
        let server = try await S3TestServer.shared.value
        func bucket() async throws -> S3Store {
            let store = try S3Store(
                config: S3Configuration(bucket: "ktape-foreign-\(UUID().uuidString.prefix(8).lowercased())", endpoint: server.endpoint),
                credentials: StaticCredentialsProvider(server.credentials), transport: CurlTransport())
            try await store.createBucket()
            return store
        }
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("s3-foreign", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        // A `_ktape/` marker (the S3 console's "Create folder") is no backup's metadata.
        let markers = ["topics/", "topics/\(topic)/", "topics/\(topic)/partition=0/", "_ktape/"]

        let sink = try await bucket()
        for marker in markers { _ = try await sink.put(marker, body: []) }
        try await sinkBucket(sink)
        for _ in 1...2 {
            let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: sink, topics: [topic]) }
            #expect(error?.message.contains("(such as \(Self.sinkKey))") == true, "\(error?.message ?? "")")
        }
        #expect(try await sink.listAll(prefix: fixture.layout.storeLockKey).isEmpty)

        let empty = try await bucket()
        for marker in markers { _ = try await empty.put(marker, body: []) }
        #expect(try await fixture.backup(store: empty, topics: [topic]).records == 3)
    }
}
