/// A view of another store under a key prefix (`s3://bucket/prefix`): keys in and out are relative to it.
public struct PrefixedStore: ObjectStore {
    public let base: any ObjectStore
    /// Without a trailing `/`.
    public let prefix: String
    public var location: String { base.location + "/" + prefix }

    public init(base: any ObjectStore, prefix: String) {
        self.base = base
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
    }

    private func full(_ key: String) -> String { prefix + "/" + key }
    private func relative(_ key: String) -> String { String(key.dropFirst(prefix.count + 1)) }

    /// Errors name the full key, which is what a user finds in the bucket.
    @discardableResult
    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        try await base.put(full(key), body: body, options: options)
    }

    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        try await base.createMultipartUpload(full(key), options: options)
    }

    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        try await base.uploadPart(full(key), uploadId: uploadId, partNumber: partNumber, body: body)
    }

    @discardableResult

    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        try await base.completeMultipartUpload(full(key), uploadId: uploadId, parts: parts)
    }

    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        try await base.abortMultipartUpload(full(key), uploadId: uploadId)
    }

    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try await base.listMultipartUploads(prefix: full(prefix)).map { MultipartUploadInfo(key: relative($0.key), uploadId: $0.uploadId) }
    }

    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        try await base.get(full(key), range: range)
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        var info = try await base.head(full(key))
        info.key = key
        return info
    }

    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        var page = try await base.list(prefix: full(prefix), delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
        page.objects = page.objects.map { var object = $0; object.key = relative(object.key); return object }
        page.commonPrefixes = page.commonPrefixes.map(relative)
        return page
    }

    public func delete(_ key: String) async throws {
        try await base.delete(full(key))
    }

    public func delete(keys: [String]) async throws {
        try await base.delete(keys: keys.map(full))
    }
}
