import Foundation
import KtapeTestSupport
import Layout
import ObjectStore
import StoreLock
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
        // The lock went away as usual.
        #expect(!(try await store.exists(fixture.layout.storeLockKey)))
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
        #expect(!(try await store.exists(fixture.layout.storeLockKey)))
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
