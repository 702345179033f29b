import Checksums
import Foundation
import Layout

/// An object store in memory, for tests of the engines. Enforces S3's multipart rules and key rules.
public final class MemoryStore: ObjectStore, Sendable {
    struct Object {
        var body: [UInt8]
        var etag: String
        var options: PutOptions
        var lastModified: Date
    }

    struct Upload {
        var key: String
        var options: PutOptions
        var parts: [Int: (body: [UInt8], etag: String)] = [:]
    }

    struct State {
        var objects: [String: Object] = [:]
        var uploads: [String: Upload] = [:]
        var nextUpload = 1
    }

    public let location: String
    private let minPartSize: Int
    private let state = Locked(State())

    /// `minPartSize` is S3's 5 MiB unless a test wants smaller parts.
    public init(name: String = "memory:", minPartSize: Int = MultipartLimits.minPartSize) {
        self.location = name
        self.minPartSize = minPartSize
    }

    /// Every key, sorted (for assertions in tests).
    public var keys: [String] {
        state.withLock { $0.objects.keys.sorted(by: StoreKey.utf8Less) }
    }

    @discardableResult

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        try StoreKey.validate(key, operation: "put", location: location)
        let etag = ETag.whole(body)
        try state.withLock { state in
            if options.ifNoneMatch, state.objects[key] != nil {
                throw StoreError(.alreadyExists, operation: "put", location: location, key: key, code: "PreconditionFailed", status: 412)
            }
            if let expected = options.ifMatch, state.objects[key]?.etag != expected {
                throw StoreError(.conditionFailed, operation: "put", location: location, key: key, code: "PreconditionFailed", status: 412)
            }
            state.objects[key] = Object(body: body, etag: etag, options: options, lastModified: Date())
        }
        return PutResult(etag: etag)
    }

    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        try StoreKey.validate(key, operation: "create multipart upload", location: location)
        return state.withLock { state in
            let id = "upload-\(state.nextUpload)"
            state.nextUpload += 1
            state.uploads[id] = Upload(key: key, options: options)
            return id
        }
    }

    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        guard (1...MultipartLimits.maxParts).contains(partNumber) else {
            throw StoreError(
                .invalidRequest, operation: "upload part", location: location, key: key, code: "InvalidArgument",
                message: "part number \(partNumber) is outside 1...\(MultipartLimits.maxParts)")
        }
        let etag = ETag.whole(body)
        try state.withLock { state in
            guard state.uploads[uploadId]?.key == key else { throw noSuchUpload(key, uploadId, "upload part") }
            state.uploads[uploadId]?.parts[partNumber] = (body, etag)
        }
        return CompletedPart(partNumber: partNumber, etag: etag)
    }

    @discardableResult

    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        try state.withLock { state in
            guard let upload = state.uploads[uploadId], upload.key == key else {
                throw noSuchUpload(key, uploadId, "complete multipart upload")
            }
            let bodies = try MultipartRules.check(
                parts: parts, stored: upload.parts.mapValues { ($0.body.count, $0.etag) },
                minPartSize: minPartSize, location: location, key: key)
            var body: [UInt8] = []
            for number in bodies { body += upload.parts[number]?.body ?? [] }
            let etag = ETag.multipart(partETags: parts.map(\.etag))
            if upload.options.ifNoneMatch, state.objects[key] != nil {
                throw StoreError(
                    .alreadyExists, operation: "complete multipart upload", location: location, key: key, code: "PreconditionFailed",
                    status: 412)
            }
            state.objects[key] = Object(body: body, etag: etag, options: upload.options, lastModified: Date())
            state.uploads[uploadId] = nil
            return PutResult(etag: etag)
        }
    }

    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        try state.withLock { state in
            guard state.uploads[uploadId]?.key == key else { throw noSuchUpload(key, uploadId, "abort multipart upload") }
            state.uploads[uploadId] = nil
        }
    }

    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        state.withLock { state in
            state.uploads.filter { $0.value.key.hasPrefix(prefix) }
                .map { MultipartUploadInfo(key: $0.value.key, uploadId: $0.key) }
                .sorted { StoreKey.utf8Less($0.key, $1.key) }
        }
    }

    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        let object = try find(key, "get")
        let slice = try RangeRules.slice(Int64(object.body.count), range, operation: "get", location: location, key: key)
        return Array(object.body[Int(slice.lowerBound)..<Int(slice.upperBound)])
    }

    public func getTagged(_ key: String) async throws -> TaggedObject {
        let object = try find(key, "get")
        return TaggedObject(body: object.body, etag: object.etag)
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        let object = try find(key, "head")
        return ObjectInfo(
            key: key, size: Int64(object.body.count), etag: object.etag, lastModified: object.lastModified,
            contentType: object.options.contentType, metadata: object.options.metadata,
            objectLock: object.options.objectLock)
    }

    /// Every object has a full-object CRC64NVME, as S3 gives every new object one.
    public func headWithChecksum(_ key: String) async throws -> ObjectInfo {
        var info = try await head(key)
        let body = try find(key, "head").body
        info.checksum = StoredChecksum(algorithm: "CRC64NVME", value: CRC64NVME.checksum(body).base64, type: "FULL_OBJECT")
        return info
    }

    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        let sorted = state.withLock { state in
            state.objects.map {
                ObjectSummary(key: $0.key, size: Int64($0.value.body.count), etag: $0.value.etag, lastModified: $0.value.lastModified)
            }
        }.sorted { StoreKey.utf8Less($0.key, $1.key) }
        return ListingPager.page(sortedObjects: sorted, prefix: prefix, delimiter: delimiter, token: continuationToken, maxKeys: maxKeys)
    }

    public func delete(_ key: String, ifMatch: String?) async throws {
        try state.withLock { state in
            if let expected = ifMatch, state.objects[key]?.etag != expected {
                throw StoreError(
                    .conditionFailed, operation: "delete", location: location, key: key, code: "PreconditionFailed", status: 412)
            }
            try refuseLocked(key, state)
            state.objects[key] = nil
        }
    }

    public func delete(keys: [String]) async throws {
        try state.withLock { state in
            for key in keys {
                try refuseLocked(key, state)
                state.objects[key] = nil
            }
        }
    }

    /// As S3 refuses deleting an object under Object Lock retention.
    private func refuseLocked(_ key: String, _ state: State) throws {
        if let until = state.objects[key]?.options.objectLock?.retainUntil, until > Date() {
            throw StoreError(
                .accessDenied, operation: "delete", location: location, key: key, code: "AccessDenied",
                message: "the object is under Object Lock retention until \(until)", status: 403)
        }
    }

    /// The put options an object was written with (for tests that check storage options).
    public func options(of key: String) -> PutOptions? {
        state.withLock { $0.objects[key]?.options }
    }

    private func find(_ key: String, _ operation: String) throws -> Object {
        guard let object = state.withLock({ $0.objects[key] }) else {
            throw StoreError(.notFound, operation: operation, location: location, key: key, code: "NoSuchKey", status: 404)
        }
        return object
    }

    private func noSuchUpload(_ key: String, _ uploadId: String, _ operation: String) -> StoreError {
        StoreError(
            .notFound, operation: operation, location: location, key: key, code: "NoSuchUpload",
            message: "no multipart upload \(uploadId)", status: 404)
    }
}
