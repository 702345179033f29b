import Checksums
import Foundation
import KtapeTestSupport
import ObjectStore
import SigV4
import Testing
import Layout

/// One suite, every backend (restic's backend/test is the model).
enum Backend: String, CaseIterable, CustomStringConvertible {
    case memory, directory, s3
    var description: String { rawValue }

    func makeStore() async throws -> any ObjectStore {
        switch self {
        case .memory:
            return MemoryStore()
        case .directory:
            let root = NSTemporaryDirectory() + "ktape-store-" + UUID().uuidString
            return try LocalDirectoryStore(root: root)
        case .s3:
            return try await S3TestServer.shared.value.freshStore()
        }
    }
}

struct StoreConformanceTests {
    static let partSize = MultipartLimits.minPartSize

    @Test(arguments: Backend.allCases)
    func putGetHeadDelete(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let body = TestBytes.make(1000)
        let put = try await store.put(
            "a/b/c.json", body: body, options: PutOptions(contentType: "application/json", metadata: ["run": "7"]))
        #expect(try await store.get("a/b/c.json") == body)
        let info = try await store.head("a/b/c.json")
        #expect(info.size == 1000)
        #expect(info.etag == put.etag)
        if backend != .directory { #expect(info.metadata["run"] == "7") }
        try await store.put("a/b/c.json", body: [1, 2, 3])
        #expect(try await store.get("a/b/c.json") == [1, 2, 3])
        try await store.put("empty", body: [])
        #expect(try await store.head("empty").size == 0)
        #expect(try await store.get("empty").isEmpty)
        try await store.delete("a/b/c.json")
        #expect(try await store.exists("a/b/c.json") == false)
        try await store.delete("a/b/c.json")
    }

    @Test(arguments: Backend.allCases)
    func missingObjectsAreNotFound(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        do {
            _ = try await store.get("nope/x")
            Issue.record("get of a missing key returned")
        } catch let error as StoreError {
            #expect(error.isNotFound)
            #expect(error.isPermanent)
            #expect(error.description.contains("nope/x"))
        }
        await #expect(throws: StoreError.self) { _ = try await store.head("nope/x") }
        #expect(try await store.exists("nope/x") == false)
    }

    @Test(arguments: Backend.allCases)
    func rangedAndStreamedGets(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let body = TestBytes.make(100_000, seed: 3)
        try await store.put("big", body: body)
        #expect(try await store.get("big", range: ByteRange(offset: 10, length: 20)) == Array(body[10..<30]))
        #expect(try await store.get("big", range: ByteRange(offset: 99_990, length: 100)) == Array(body[99_990...]))
        var streamed: [UInt8] = []
        var chunks = 0
        for try await chunk in try await store.chunks("big", chunkSize: 30_000) {
            #expect(chunk.count <= 30_000)
            streamed += chunk
            chunks += 1
        }
        #expect(chunks == 4)
        #expect(streamed == body)
        await #expect(throws: StoreError.self) { _ = try await store.get("big", range: ByteRange(offset: 100_000, length: 1)) }
    }

    /// An object cut short after it was opened is reported as changed, whether the store answers the
    /// next range short or refuses it (416): no short chunk is handed out as if it were whole.
    @Test(arguments: Backend.allCases)
    func objectCutShortWhileReadIsReportedChanged(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let body = TestBytes.make(100_000, seed: 4)
        for (cut, handedOut) in [(25_000, 0), (50_000, 1), (30_000, 1)] {
            try await store.put("big", body: body)
            let opened = try await store.chunks("big", chunkSize: 30_000)
            try await store.put("big", body: Array(body.prefix(cut)))
            var chunks = 0
            let error = await #expect(throws: ObjectChangedWhileRead.self) {
                for try await chunk in opened {
                    #expect(chunk.count == 30_000)
                    chunks += 1
                }
            }
            #expect(chunks == handedOut, "cut at \(cut)")
            #expect(error?.openedSize == 100_000)
            #expect(error?.received == max(0, cut - 30_000 * handedOut), "cut at \(cut)")
        }
    }

    @Test(arguments: Backend.allCases)
    func listingPagesInByteOrderWithDelimiter(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let keys = (0..<25).map { String(format: "t/p=%d/f-%03d", $0 % 3, $0) } + ["t/Z", "t/ä", "u/x"]
        for key in keys { try await store.put(key, body: Array(key.utf8)) }
        var token: String?
        var seen: [String] = []
        var pages = 0
        repeat {
            let page = try await store.list(prefix: "t/", delimiter: nil, continuationToken: token, maxKeys: 10)
            #expect(page.objects.count <= 10)
            seen += page.objects.map(\.key)
            token = page.nextToken
            pages += 1
        } while token != nil
        let expected = keys.filter { $0.hasPrefix("t/") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(seen == expected)
        #expect(pages == 3)
        let rolled = try await store.list(prefix: "t/", delimiter: "/")
        #expect(rolled.commonPrefixes == ["t/p=0/", "t/p=1/", "t/p=2/"])
        #expect(rolled.objects.map(\.key) == ["t/Z", "t/ä"])
        let all = try await store.listAll(prefix: "")
        #expect(all.count == keys.count)
        #expect(all.first { $0.key == "u/x" }?.size == 3)
    }

    @Test(arguments: Backend.allCases)
    func multipartOfThreePartsRoundTrips(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let body = TestBytes.make(2 * Self.partSize + 12_345, seed: 5)
        let id = try await store.createMultipartUpload("mp/object", options: PutOptions())
        var parts: [CompletedPart] = []
        for (index, start) in stride(from: 0, to: body.count, by: Self.partSize).enumerated() {
            let slice = Array(body[start..<min(body.count, start + Self.partSize)])
            parts.append(try await store.uploadPart("mp/object", uploadId: id, partNumber: index + 1, body: slice))
        }
        #expect(parts.count == 3)
        #expect(try await store.listMultipartUploads(prefix: "mp/").map(\.uploadId) == [id])
        try await store.completeMultipartUpload("mp/object", uploadId: id, parts: parts)
        #expect(try await store.head("mp/object").size == Int64(body.count))
        #expect(try await store.get("mp/object") == body)
        #expect(try await store.listMultipartUploads(prefix: "mp/").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func abortedUploadLeavesNothing(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let id = try await store.createMultipartUpload("ab/object", options: PutOptions())
        _ = try await store.uploadPart("ab/object", uploadId: id, partNumber: 1, body: TestBytes.make(1000))
        try await store.abortMultipartUpload("ab/object", uploadId: id)
        #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
        #expect(try await store.listAll(prefix: "").isEmpty)
        #expect(try await store.exists("ab/object") == false)
    }

    @Test(arguments: Backend.allCases)
    func conditionalPutRefusesToOverwrite(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        try await store.put("_ktape/runs/1.json", body: [1], options: PutOptions(ifNoneMatch: true))
        do {
            try await store.put("_ktape/runs/1.json", body: [2], options: PutOptions(ifNoneMatch: true))
            Issue.record("a create-only put overwrote an object")
        } catch let error as StoreError {
            #expect(error.isAlreadyExists)
            #expect(error.description.contains("_ktape/runs/1.json"))
        }
        #expect(try await store.get("_ktape/runs/1.json") == [1])
    }

    @Test(arguments: Backend.allCases)
    func ifMatchReplacesOnlyTheVersionRead(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        try await store.put("_ktape/locks/store.json", body: [1], options: PutOptions(ifNoneMatch: true))
        let first = try await store.getTagged("_ktape/locks/store.json")
        #expect(first.body == [1])
        let written = try await store.put("_ktape/locks/store.json", body: [2], options: PutOptions(ifMatch: first.etag))
        #expect(written.etag != first.etag)
        #expect(try await store.getTagged("_ktape/locks/store.json") == TaggedObject(body: [2], etag: written.etag))
        // A second writer holding the first version loses, and the object keeps the winner's bytes.
        do {
            try await store.put("_ktape/locks/store.json", body: [3], options: PutOptions(ifMatch: first.etag))
            Issue.record("an If-Match put replaced a version it had not read")
        } catch let error as StoreError {
            #expect(error.isConditionFailed)
            #expect(error.kind == .conditionFailed)
        }
        #expect(try await store.get("_ktape/locks/store.json") == [2])
        // If-Match on a missing object fails too, and creates nothing.
        do {
            try await store.put("_ktape/locks/other.json", body: [4], options: PutOptions(ifMatch: written.etag))
            Issue.record("an If-Match put created an object")
        } catch let error as StoreError {
            #expect(error.kind == .conditionFailed)
        }
        #expect(try await store.exists("_ktape/locks/other.json") == false)
    }

    @Test(arguments: Backend.allCases)
    func ifMatchDeletesOnlyTheVersionRead(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        try await store.put("l/table", body: [1])
        let old = try await store.getTagged("l/table")
        let new = try await store.put("l/table", body: [2], options: PutOptions(ifMatch: old.etag))
        do {
            try await store.delete("l/table", ifMatch: old.etag)
            Issue.record("a conditional delete removed a version it had not read")
        } catch let error as StoreError {
            #expect(error.kind == .conditionFailed)
        }
        #expect(try await store.get("l/table") == [2])
        try await store.delete("l/table", ifMatch: new.etag)
        #expect(try await store.exists("l/table") == false)
        await #expect(throws: StoreError.self) { try await store.delete("l/table", ifMatch: new.etag) }
    }

    @Test(arguments: Backend.allCases)
    func listingStartsAfterAKey(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        for name in ["runs/a", "runs/b", "runs/c", "runsx", "other"] { try await store.put(name, body: [1]) }
        #expect(try await store.listAll(prefix: "runs/", startAfter: "runs/a").map(\.key) == ["runs/b", "runs/c"])
        #expect(try await store.listAll(prefix: "runs/", startAfter: "runs/c").isEmpty)
        #expect(try await store.listAll(prefix: "runs/", startAfter: "").map(\.key) == ["runs/a", "runs/b", "runs/c"])
    }

    @Test(arguments: Backend.allCases)
    func concurrentIfMatchWritersNeverBothWin(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        try await store.put("c/lock", body: [0])
        let base = try await store.getTagged("c/lock")
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for writer in 1...8 {
                group.addTask {
                    do {
                        try await store.put("c/lock", body: [UInt8(writer)], options: PutOptions(ifMatch: base.etag))
                        return true
                    } catch let error as StoreError where error.isConditionFailed {
                        return false
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test(arguments: Backend.allCases)
    func createOnlyMultipartOverAnExistingObjectFailsAndLeavesNothing(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        try await store.put("_ktape/runs/2.json", body: [7])
        let upload = StreamingUpload(
            store: store, key: "_ktape/runs/2.json", options: PutOptions(ifNoneMatch: true),
            partSize: Self.partSize, concurrency: 2)
        do {
            try await upload.write(TestBytes.make(Self.partSize + 10))
            _ = try await upload.finish()
            Issue.record("a create-only multipart upload replaced an object")
        } catch let error as StoreError {
            #expect(error.isAlreadyExists)
        }
        #expect(try await store.get("_ktape/runs/2.json") == [7])
        #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
    }

    /// A killed writer's PUT that the server carries out after a rerun wrote the same key must not
    /// replace the rerun's object: the data PUT is create-only, and replaces a leftover by its ETag.
    @Test(arguments: Backend.allCases)
    func singlePartUploadIsCreateOnlyAndReplacesALeftoverByItsVersion(_ backend: Backend) async throws {
        let recording = PutRecordingStore(forwardee: try await backend.makeStore())
        let key = "topics/t/partition=0/t+0+0000000000.json"
        try await recording.forwardee.put(key, body: [1, 2, 3])  // what a killed run wrote here
        let body = TestBytes.make(5_000, seed: 3)
        let upload = StreamingUpload(store: recording, key: key, partSize: Self.partSize, concurrency: 2)
        try await upload.write(body)
        let summary = try await upload.finish()
        #expect(try await recording.get(key) == body)
        #expect(try await recording.head(key).etag == summary.etag)
        #expect(recording.puts.map(\.ifNoneMatch) == [true, false])
        let replaced = recording.puts.last?.ifMatch
        #expect(replaced != nil && replaced != summary.etag)

        // The same first PUT, sent by a killed run and carried out late, is refused.
        let first = try #require(recording.puts.first)
        do {
            try await recording.forwardee.put(key, body: [9], options: first)
            Issue.record("a late create-only PUT replaced the object")
        } catch let error as StoreError {
            #expect(error.isAlreadyExists)
        }
        #expect(try await recording.get(key) == body)
    }

    @Test(arguments: Backend.allCases)
    func batchDeleteRemovesAll(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let keys = (0..<30).map { "d/\($0)" }
        for key in keys { try await store.put(key, body: [0]) }
        try await store.put("keep", body: [1])
        try await store.delete(keys: keys + ["d/never-existed"])
        #expect(try await store.listAll(prefix: "").map(\.key) == ["keep"])
    }

    @Test(arguments: Backend.allCases)
    func streamingUploadPicksPutOrMultipartAndHashes(_ backend: Backend) async throws {
        let store = try await backend.makeStore()
        let small = TestBytes.make(70_000, seed: 8)
        let single = StreamingUpload(store: store, key: "s/small", partSize: Self.partSize, concurrency: 2)
        for start in stride(from: 0, to: small.count, by: 7_000) { try await single.write(small[start..<(start + 7_000)]) }
        let first = try await single.finish()
        #expect(first.parts == 0)
        #expect(first.crc64nvme == CRC64NVME.checksum(small))
        #expect(try await store.get("s/small") == small)

        let large = TestBytes.make(3 * Self.partSize + 1, seed: 9)
        let multi = StreamingUpload(store: store, key: "s/large", partSize: Self.partSize, concurrency: 2)
        for start in stride(from: 0, to: large.count, by: 1_000_003) {
            try await multi.write(large[start..<min(large.count, start + 1_000_003)])
        }
        let second = try await multi.finish()
        #expect(second.parts == 4)
        #expect(second.size == Int64(large.count))
        #expect(second.crc64nvme == CRC64NVME.checksum(large))
        #expect(try await store.get("s/large") == large)
        #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
    }
}

/// Keeps the options of every single-part put, in order.
// @unchecked Sendable: its mutable state is under `lock`.
final class PutRecordingStore: ForwardingStore, @unchecked Sendable {
    let forwardee: any ObjectStore
    private let lock = NSLock()
    private var recorded: [PutOptions] = []
    var puts: [PutOptions] { lock.withLock { recorded } }

    init(forwardee: any ObjectStore) { self.forwardee = forwardee }

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        lock.withLock { recorded.append(options) }
        return try await forwardee.put(key, body: body, options: options)
    }
}
