import Foundation
import ObjectStore

/// A memory store whose single-request puts under `slowPrefix` take `putDelay` longer and whose
/// gets take `getDelay` longer, so that work spans time and a write can still be in flight when a
/// test looks; `base` is the same store without the delays.
public final class SlowStore: ObjectStore, Sendable {
    public let base: MemoryStore
    public let slowPrefix: String
    let putDelay: Duration
    let getDelay: Duration
    public var location: String { base.location }

    public init(base: MemoryStore = MemoryStore(), slowPrefix: String, putDelay: Duration, getDelay: Duration) {
        self.base = base
        self.slowPrefix = slowPrefix
        self.putDelay = putDelay
        self.getDelay = getDelay
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        if key.hasPrefix(slowPrefix) { try await Task.sleep(for: putDelay) }
        return try await base.put(key, body: body, options: options)
    }
    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        try await base.createMultipartUpload(key, options: options)
    }
    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        try await base.uploadPart(key, uploadId: uploadId, partNumber: partNumber, body: body)
    }
    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        try await base.completeMultipartUpload(key, uploadId: uploadId, parts: parts)
    }
    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        try await base.abortMultipartUpload(key, uploadId: uploadId)
    }
    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try await base.listMultipartUploads(prefix: prefix)
    }
    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        try await Task.sleep(for: getDelay)
        return try await base.get(key, range: range)
    }
    public func getTagged(_ key: String) async throws -> TaggedObject { try await base.getTagged(key) }
    public func head(_ key: String) async throws -> ObjectInfo { try await base.head(key) }
    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
    }
    public func delete(_ key: String, ifMatch: String?) async throws { try await base.delete(key, ifMatch: ifMatch) }
    public func delete(keys: [String]) async throws { try await base.delete(keys: keys) }
}
