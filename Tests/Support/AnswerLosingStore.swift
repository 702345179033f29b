import Foundation
import ObjectStore

/// Writes an object, then answers the first conditional write to a key `losing` selects as a retry
/// would be answered after its first attempt landed and its answer was lost: "precondition failed".
// @unchecked Sendable: its mutable state is under `lock`.
public final class AnswerLosingStore: ObjectStore, @unchecked Sendable {
    let base: any ObjectStore
    let losing: @Sendable (String) -> Bool
    private let lock = NSLock()
    private var lost = 0
    public var lostAnswers: Int { lock.withLock { lost } }
    public var location: String { base.location }

    public init(base: any ObjectStore, losing: @escaping @Sendable (String) -> Bool) {
        self.base = base
        self.losing = losing
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        let result = try await base.put(key, body: body, options: options)
        let lose =
            losing(key) && (options.ifMatch != nil || options.ifNoneMatch)
            && lock.withLock {
                lost += 1
                return lost == 1
            }
        if lose {
            throw StoreError(.alreadyExists, operation: "put", location: location, key: key, code: "PreconditionFailed", status: 412)
        }
        return result
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
    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] { try await base.get(key, range: range) }
    public func getTagged(_ key: String) async throws -> TaggedObject { try await base.getTagged(key) }
    public func head(_ key: String) async throws -> ObjectInfo { try await base.head(key) }
    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        try await base.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
    }
    public func delete(_ key: String, ifMatch: String?) async throws { try await base.delete(key, ifMatch: ifMatch) }
    public func delete(keys: [String]) async throws { try await base.delete(keys: keys) }
}
