import Foundation
import ObjectStore

/// A memory store that counts every request a run makes, by verb, with the keys of the gets.
// @unchecked Sendable: its mutable state is under `lock`.
public final class CountingStore: ObjectStore, @unchecked Sendable {
    public let base = MemoryStore()
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var gotKeys: [String] = []
    public var location: String { base.location }

    public init() {}

    public var requests: Int { lock.withLock { counts.values.reduce(0, +) } }
    public var byVerb: [String: Int] { lock.withLock { counts } }
    public var gets: [String] { lock.withLock { gotKeys } }
    public func reset() {
        lock.withLock {
            counts = [:]
            gotKeys = []
        }
    }

    private func count(_ verb: String, _ key: String? = nil) {
        lock.withLock {
            counts[verb, default: 0] += 1
            if verb == "get", let key { gotKeys.append(key) }
        }
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        count("put")
        return try await base.put(key, body: body, options: options)
    }
    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        count("create multipart")
        return try await base.createMultipartUpload(key, options: options)
    }
    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        count("upload part")
        return try await base.uploadPart(key, uploadId: uploadId, partNumber: partNumber, body: body)
    }
    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        count("complete multipart")
        return try await base.completeMultipartUpload(key, uploadId: uploadId, parts: parts)
    }
    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        count("abort multipart")
        try await base.abortMultipartUpload(key, uploadId: uploadId)
    }
    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        count("list uploads")
        return try await base.listMultipartUploads(prefix: prefix)
    }
    /// Not counted: no store makes a request for it.
    public func removeAbandonedWrites() async throws -> Int {
        try await base.removeAbandonedWrites()
    }
    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        count("get", key)
        return try await base.get(key, range: range)
    }
    public func getTagged(_ key: String) async throws -> TaggedObject {
        count("get", key)
        return try await base.getTagged(key)
    }
    public func head(_ key: String) async throws -> ObjectInfo {
        count("head")
        return try await base.head(key)
    }
    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        count("list")
        return try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
    }
    public func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary] {
        // One request, as S3's start-after makes it for a page.
        count("list")
        return try await base.listAll(prefix: prefix, startAfter: startAfter)
    }
    public func delete(_ key: String, ifMatch: String?) async throws {
        count("delete")
        try await base.delete(key, ifMatch: ifMatch)
    }
    public func delete(keys: [String]) async throws {
        count("delete objects")
        try await base.delete(keys: keys)
    }
}
