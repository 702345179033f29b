import Foundation
import ObjectStore

/// A test store that passes each call to `forwardee`: a conforming type writes only the calls it
/// changes (a fault, a hook). Listings stay paged through the conforming type's own `list`, as
/// `ObjectStore` pages them, so a store that changes `list` changes every listing; one that wants
/// the forwardee's own pages says so by writing `listingPages` or `keyPages`.
public protocol ForwardingStore: ObjectStore {
    var forwardee: any ObjectStore { get }
}

extension ForwardingStore {
    public var location: String { forwardee.location }
    public func objectLockEnabled() async -> Bool? { await forwardee.objectLockEnabled() }
    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        try await forwardee.put(key, body: body, options: options)
    }
    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        try await forwardee.createMultipartUpload(key, options: options)
    }
    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        try await forwardee.uploadPart(key, uploadId: uploadId, partNumber: partNumber, body: body)
    }
    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        try await forwardee.completeMultipartUpload(key, uploadId: uploadId, parts: parts)
    }
    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        try await forwardee.abortMultipartUpload(key, uploadId: uploadId)
    }
    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try await forwardee.listMultipartUploads(prefix: prefix)
    }
    public func removeAbandonedWrites() async throws -> Int {
        try await forwardee.removeAbandonedWrites()
    }
    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] { try await forwardee.get(key, range: range) }
    public func getTagged(_ key: String) async throws -> TaggedObject { try await forwardee.getTagged(key) }
    public func head(_ key: String) async throws -> ObjectInfo { try await forwardee.head(key) }
    public func headWithChecksum(_ key: String) async throws -> ObjectInfo { try await forwardee.headWithChecksum(key) }
    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        try await forwardee.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
    }
    public func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary] {
        try await forwardee.listAll(prefix: prefix, startAfter: startAfter)
    }
    public func delete(_ key: String, ifMatch: String?) async throws { try await forwardee.delete(key, ifMatch: ifMatch) }
    public func delete(keys: [String]) async throws { try await forwardee.delete(keys: keys) }
    public var clockOffset: TimeInterval { forwardee.clockOffset }
}
