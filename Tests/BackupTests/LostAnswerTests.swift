import Checksums
import Foundation
import KtapeTestSupport
import Layout
import ObjectStore
import StoreLock
import StoreMetadata
import Testing
@testable import Backup

/// A write-once put whose answer was lost meets its own object on the retry ("precondition failed"):
/// the run recognises it and carries on.
@Suite struct LostAnswerTests {
    @Test func aManifestWhoseAnswerWasLostCountsAsWritten() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("lost", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 10)
        let store = AnswerLosingStore(base: MemoryStore(), losing: { $0.hasPrefix("_ktape/runs/") })
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(store.lostAnswers == 1)
        #expect(summary.manifestKey != nil)
        #expect(try await StoreContents.manifests(store).count == 1)
        // The lease went away as usual.
        #expect(try await store.holdsNoLease(fixture.layout.storeLockKey))
    }

    @Test func aDataObjectWhoseAnswerWasLostIsRecordedAsStored() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("lostdata", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 10)
        let store = AnswerLosingStore(base: MemoryStore(), losing: { $0.hasPrefix(fixture.layout.topicsFolder) })
        _ = try await fixture.backup(store: store, topics: [topic])
        #expect(store.lostAnswers == 1)
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.objects.count == 2)
        for object in manifest.objects {
            let stored = try await store.get(object.key)
            #expect(CRC64NVME.checksum(stored).base64 == object.crc64nvme)
            #expect(try await store.head(object.key).etag == object.etag)
        }
    }

    @Test func aManifestKeyHoldingOtherBytesIsStillAnError() async throws {
        let store = MemoryStore()
        try await store.put("_ktape/runs/x.json", body: Array("other".utf8))
        await #expect(throws: StoreError.self) {
            try await store.putOnce("_ktape/runs/x.json", body: Array("mine".utf8), options: PutOptions())
        }
        try await store.putOnce("_ktape/runs/x.json", body: Array("other".utf8), options: PutOptions())
    }

    @Test func aLostAnswerToTheLockWriteDoesNotLookLikeAnotherRun() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("lostlock", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 4)
        let store = AnswerLosingStore(base: MemoryStore(), losing: { $0.hasSuffix("_ktape/locks/store.json") })
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(store.lostAnswers == 1)
        #expect(summary.records == 4)
        #expect(try await store.holdsNoLease(fixture.layout.storeLockKey))
    }
}

/// A finished run whose lease could not be removed (a store refusing every conditional write of it
/// from then on) says so: the next run waits for the lease to expire. It said nothing, exit 0.
@Suite struct LeaseLeftBehindTests {
    @Test func aLeaseTheRunCouldNotGiveUpIsWarnedOf() async throws {
        final class RefusingLockWritesAfterTheFirst: ForwardingStore, @unchecked Sendable {
            let forwardee: any ObjectStore = MemoryStore()
            let lockKey: String
            private let lock = NSLock()
            private var writes = 0
            init(lockKey: String) { self.lockKey = lockKey }
            func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
                if key == lockKey,
                    lock.withLock({ () -> Int in
                        writes += 1
                        return writes
                    }) > 1
                {
                    throw StoreError(.conditionFailed, operation: "put", location: location, key: key, status: 412)
                }
                return try await forwardee.put(key, body: body, options: options)
            }
        }
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("leftlease", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = RefusingLockWritesAfterTheFirst(lockKey: fixture.layout.storeLockKey)
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 3)
        #expect(
            WarningLog.shared.lines(containing: "run \(summary.runId) could not give up its lease in \(fixture.layout.storeLockKey)")
                .count == 1)
    }
}

/// A killed run's unfinished multipart uploads and temp files go in the next run of their partitions.
@Suite struct KilledRunLeftoversTests {
    @Test func theNextRunAbortsAKilledRunsUnfinishedUploads() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("stale", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 6)
        let store = MemoryStore()
        let left = fixture.layout.key(for: try ObjectKey(topic: topic, partition: 1, startOffset: 0, kind: ObjectFileKind(.envelope)))
        let other = fixture.layout.key(
            for: try ObjectKey(topic: "\(topic)-other", partition: 0, startOffset: 0, kind: ObjectFileKind(.envelope)))
        _ = try await store.createMultipartUpload(left, options: PutOptions())
        _ = try await store.createMultipartUpload(other, options: PutOptions())
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 6)
        // Only uploads of partitions this run holds the lease on are its business.
        #expect(try await store.listMultipartUploads(prefix: "").map(\.key) == [other])
        #expect(WarningLog.shared.lines(containing: "aborted 1 unfinished multipart uploads").count >= 1)
    }

    /// A policy without s3:ListBucketMultipartUploads (credentials.md's before this was found):
    /// the run warns that leftovers stay, and backs up.
    @Test func aStoreRefusingToListUploadsWarnsAndBacksUp() async throws {
        final class NoUploadListing: ForwardingStore, @unchecked Sendable {
            let forwardee: any ObjectStore = MemoryStore()
            func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
                throw StoreError(.accessDenied, operation: "list multipart uploads", location: location, status: 403)
            }
        }
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("nouploadlist", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        let summary = try await fixture.backup(store: NoUploadListing(), topics: [topic])
        #expect(summary.records == 5)
        #expect(WarningLog.shared.lines(containing: "cannot list unfinished multipart uploads").count >= 1)
        #expect(WarningLog.shared.lines(containing: "grant s3:ListBucketMultipartUploads").count >= 1)
    }

    /// Another topic's folder too: a dead writer's journal names where its temp files are, and only
    /// its own go, so the run need not hold those partitions, nor read any folder no journal names.
    @Test func theNextRunRemovesAKilledRunsTempFilesFromADirectoryStore() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("staletemp", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 6)
        let root = NSTemporaryDirectory() + "ktape-staletemp-" + UUID().uuidString
        let store = try LocalDirectoryStore(root: root)
        let folders = [
            fixture.layout.partitionFolder(topic: topic, partition: 1),
            fixture.layout.partitionFolder(topic: "\(topic)-other", partition: 0)
        ]
        let temps = try KilledWriter.leave(root: root, folders: folders.map { String($0.dropLast()) }, size: 4096)
        let unnamed = root + "/" + fixture.layout.partitionFolder(topic: topic, partition: 0) + ".ktape-tmp-unjournalled"
        try FileManager.default.createDirectory(atPath: (unnamed as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: unnamed, contents: Data(count: 1)))
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 6)
        for temp in temps { #expect(!FileManager.default.fileExists(atPath: temp)) }
        #expect(FileManager.default.fileExists(atPath: unnamed))
        #expect(WarningLog.shared.lines(containing: "removed 2 temp files that killed runs left in the store").count >= 1)
    }
}

/// Lands every write of a manifest and then fails it as retries used up would; with `unreadable`,
/// reading a manifest back fails the same way. `beforeManifest` runs once, before the first lands.
// @unchecked Sendable: its mutable state is under `lock`.
final class ManifestAnswersLostStore: ForwardingStore, @unchecked Sendable {
    let base: MemoryStore
    let unreadable: Bool
    private let lock = NSLock()
    private var beforeManifest: (@Sendable () async throws -> Void)?
    var forwardee: any ObjectStore { base }
    init(base: MemoryStore = MemoryStore(), unreadable: Bool, beforeManifest: (@Sendable () async throws -> Void)? = nil) {
        self.base = base
        self.unreadable = unreadable
        self.beforeManifest = beforeManifest
    }

    private func gaveUp(_ operation: String, _ key: String) -> StoreError {
        StoreError(.gaveUp(attempts: 6), operation: operation, location: location, key: key, message: "Empty reply from server")
    }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        if key.hasPrefix("_ktape/runs/"),
            let hook = lock.withLock({ () -> (@Sendable () async throws -> Void)? in
                defer { beforeManifest = nil }
                return beforeManifest
            })
        {
            try await hook()
        }
        let result = try await base.put(key, body: body, options: options)
        if key.hasPrefix("_ktape/runs/") { throw gaveUp("put", key) }
        return result
    }

    func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        if unreadable && key.hasPrefix("_ktape/runs/") { throw gaveUp("get", key) }
        return try await base.get(key, range: range)
    }
}

@Suite struct LostManifestAnswerTests {
    /// Every answer lost, but the manifest reads back: the run counts it as written, and the index has it.
    @Test func aManifestFoundAfterItsAnswersWereLostIsFolded() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("lostall", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5)
        let store = ManifestAnswersLostStore(unreadable: false)
        let summary = try await fixture.backup(store: store, topics: [topic])
        #expect(summary.records == 5)
        #expect(try await StoreContents.manifests(store.base).count == 1)
        let index = try #require(try await IndexKeeper.read(store: store.base, layout: fixture.layout)).index
        #expect(index.lastRunId?.rawValue == summary.runId)
    }

    /// Whether the manifest landed cannot be told: the run fails and keeps its lease. Another topic's
    /// run finished while this one wrote (so the index's last run is past this one, and later runs
    /// read no manifest before it); the run that drops the lease folds the manifest, so the next run
    /// of the topic reads on from where it ended rather than backing the same offsets up again.
    @Test func aManifestOfUnknownFateIsFoldedByTheRunThatDropsItsLease() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("fate", partitions: 1)
        let other = try fixture.topic("fateother", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 1)
        try fixture.produceJSON(topic: other, partitions: 1, count: 1)
        let memory = MemoryStore()
        // An index to start from, so later runs read only manifests after its last run.
        _ = try await fixture.backup(store: memory, topics: [topic, other])
        try fixture.produceJSON(topic: topic, partitions: 1, count: 5, from: 1)
        try fixture.produceJSON(topic: other, partitions: 1, count: 3, from: 1)
        let store = ManifestAnswersLostStore(base: memory, unreadable: true) { @Sendable () async throws in
            let summary = try await fixture.backup(store: memory, topics: [other])
            #expect(summary.records == 3)
        }
        // A full lease: one of a second, as before, expired under a loaded machine's late renewals and
        // let the hook's run take the lease over. Later runs see it expired by a clock an hour on.
        let first = try fixture.request(store: store, topics: [topic])
        await #expect(throws: (any Error).self) { _ = try await BackupEngine.run(first) }
        #expect(WarningLog.shared.lines(containing: "reading it back failed too").count >= 1)
        #expect(!(try await memory.holdsNoLease(fixture.layout.storeLockKey)))
        for (topics, records) in [([other], 0), ([topic], 0)] {
            var later = try fixture.request(store: memory, topics: topics)
            later.clock = { Date().addingTimeInterval(3600) }
            #expect(try await BackupEngine.run(later).records == records)
        }
    }
}
