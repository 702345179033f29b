import Foundation
import ObjectStore
import Testing

struct LocalDirectoryStoreTests {
    func makeStore() throws -> (LocalDirectoryStore, String) {
        let root = NSTemporaryDirectory() + "ktape-local-" + UUID().uuidString
        return (try LocalDirectoryStore(root: root), root)
    }

    @Test(arguments: ["../x", "a/../../b", "/abs", "a//b", "./a", "a/.ktape-tmp-1", ""])
    func refusesKeysThatLeaveOrAliasTheStore(_ key: String) async throws {
        let (store, root) = try makeStore()
        do {
            try await store.put(key, body: [1])
            Issue.record("key '\(key)' was accepted")
        } catch let error as StoreError {
            #expect(error.kind == .invalidKey)
        }
        #expect(!FileManager.default.fileExists(atPath: (root as NSString).deletingLastPathComponent + "/x"))
    }

    @Test func keysAreRelativePathsAndNoTempFilesRemain() async throws {
        let (store, root) = try makeStore()
        try await store.put("topics/t/partition=0/t+0+0000000000.json", body: Array("{}\n".utf8))
        let path = root + "/topics/t/partition=0/t+0+0000000000.json"
        #expect(FileManager.default.contents(atPath: path) == Data("{}\n".utf8))
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/topics/t/partition=0")
        #expect(names == ["t+0+0000000000.json"])
        try await store.delete("topics/t/partition=0/t+0+0000000000.json")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
    }

    @Test func multipartStagingIsHiddenFromListings() async throws {
        let (store, _) = try makeStore()
        let id = try await store.createMultipartUpload("x", options: PutOptions())
        _ = try await store.uploadPart("x", uploadId: id, partNumber: 1, body: [1, 2])
        #expect(try await store.listAll(prefix: "").isEmpty)
        #expect(try await store.listMultipartUploads(prefix: "").map(\.key) == ["x"])
        await #expect(throws: StoreError.self) { _ = try await store.uploadPart("other", uploadId: id, partNumber: 2, body: [1]) }
    }
}

struct LocalDirectoryListingOrderTests {
    @Test func walkOrderMatchesS3ByteOrderAcrossDirectories() async throws {
        let store = try LocalDirectoryStore(root: NSTemporaryDirectory() + "ktape-order-" + UUID().uuidString)
        let keys = ["a/b", "a-c", "a0", "a/b/c", "ab", "a.d/e", "Z", "ä", "a/b-", "a/b/"]
            .filter { !$0.hasSuffix("/") && $0 != "a/b" }
        for key in keys { try await store.put(key, body: [1]) }
        let expected = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(try await store.listAll(prefix: "").map(\.key) == expected)
        var paged: [String] = []
        var token: String?
        repeat {
            let page = try await store.list(prefix: "", delimiter: nil, continuationToken: token, maxKeys: 2)
            paged += page.objects.map(\.key)
            token = page.nextToken
        } while token != nil
        #expect(paged == expected)
        #expect(try await store.listAll(prefix: "a/").map(\.key) == ["a/b-", "a/b/c"])
        await #expect(throws: StoreError.self) { _ = try await store.get("a") }
    }

    /// The walk takes each name's type from readdir and stats only the files it lists: what it
    /// lists must still be exactly the regular files, with the size and ETag a head reports.
    @Test func listingsHoldOnlyRegularFilesWithTheirHeads() async throws {
        let root = NSTemporaryDirectory() + "ktape-kinds-" + UUID().uuidString
        let store = try LocalDirectoryStore(root: root)
        try await store.put("d/file", body: [1, 2, 3])
        try await store.put("d/sub/other", body: [4])
        try FileManager.default.createSymbolicLink(atPath: root + "/d/link", withDestinationPath: root + "/d/file")
        try FileManager.default.createSymbolicLink(atPath: root + "/d/linked-dir", withDestinationPath: root + "/d/sub")
        #expect(mkfifo(root + "/d/fifo", 0o644) == 0)
        #expect(FileManager.default.createFile(atPath: root + "/d/.ktape-tmp-x", contents: Data([9])))
        let listed = try await store.listAll(prefix: "")
        #expect(listed.map(\.key) == ["d/file", "d/sub/other"])
        for object in listed {
            let head = try await store.head(object.key)
            #expect(object.size == head.size && object.etag == head.etag)
        }
        #expect(try await store.listAll(prefix: "d/s").map(\.key) == ["d/sub/other"])
        #expect(try await store.listAll(prefix: "d/", startAfter: "d/file").map(\.key) == ["d/sub/other"])
    }
}
