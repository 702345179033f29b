import Foundation

/// An object store with few verbs (restic's backend is the model): whole-object put, multipart,
/// whole or ranged get, head, paged list and delete. Keys are `/`-separated relative names.
///
/// Every method throws only `StoreError`. Backends: `S3Store`, `LocalDirectoryStore`, `MemoryStore`.
public protocol ObjectStore: Sendable {
    /// Names the store in messages, e.g. `s3://bucket` or `file:///var/backups`.
    var location: String { get }

    /// Stores `body` under `key`. With `options.ifNoneMatch`, fails with `isAlreadyExists` when the key
    /// exists (a store that cannot tell may overwrite; S3 and the local directory can).
    @discardableResult
    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult

    /// Starts a multipart upload and returns its id.
    func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String
    /// Uploads part `partNumber` (1...10,000); every part but the last must be at least 5 MiB on S3.
    func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart
    /// Joins the parts, in the order given, into the object.
    @discardableResult
    func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult
    /// Drops an unfinished upload and its parts.
    func abortMultipartUpload(_ key: String, uploadId: String) async throws
    /// Unfinished multipart uploads under `prefix`.
    func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo]
    /// Removes what writers that died (killed runs) left half-written that no listing shows, and
    /// returns how many: a directory store's temp files. Live writers' files stay.
    func removeAbandonedWrites() async throws -> Int

    /// The object's bytes, or only `range` of them.
    func get(_ key: String, range: ByteRange?) async throws -> [UInt8]
    /// The whole of each of `keys`, in order, each read or failed on its own: all at once by default
    /// (the caller bounds how many); a store for which a call costs more than reading a small object
    /// (a directory: a thread handoff each) reads them together.
    func getEach(_ keys: [String]) async -> [Result<[UInt8], any Error>]
    /// The whole object with the ETag of the version read, for a following `ifMatch` write.
    func getTagged(_ key: String) async throws -> TaggedObject
    /// Size, ETag and metadata without the body.
    func head(_ key: String) async throws -> ObjectInfo
    /// `head` plus the checksum the store keeps with the object, if it keeps one (S3: checksum mode). A
    /// separate call because S3 then needs `kms:Decrypt` on SSE-KMS objects, which `head` does not.
    func headWithChecksum(_ key: String) async throws -> ObjectInfo
    /// One page of keys under `prefix` in S3 order (by UTF-8 bytes); pass the page's `nextToken` back
    /// to get the next one. With a delimiter, names past it are rolled up into `commonPrefixes`.
    func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage
    /// Every object under `prefix` whose key sorts after `startAfter` (S3's `start-after`: the
    /// listing starts there instead of at the prefix's first key).
    func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary]
    /// The pages behind `objects(prefix:)`: `list`'s by default; a store that can keep its place
    /// between pages more cheaply than a continuation token does gives its own.
    func listingPages(prefix: String, pageSize: Int) -> any ListingPages<ObjectSummary>
    /// The pages behind `keys(prefix:)`: `listingPages`' keys and sizes by default; a store that would
    /// pay for each size (a stat per file) leaves sizes out.
    func keyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey>
    /// The pages behind `sizedKeys(prefix:)`: `listingPages`' keys and sizes by default; a store that
    /// makes its ETags and times per object (a directory) leaves them unmade.
    func sizedKeyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey>
    /// Deletes one object; deleting a missing key is not an error (as on S3). With `ifMatch`, deletes
    /// only the version with that ETag and fails with `isConditionFailed` otherwise (object changed or gone).
    func delete(_ key: String, ifMatch: String?) async throws
    /// Deletes many objects (S3 DeleteObjects, 1,000 at a time); throws the first failure.
    func delete(keys: [String]) async throws
    /// Throws (`unsupported`) unless the store refuses the conditional writes it must refuse, proven
    /// with writes to `probe`: leases and write-once objects rely on them.
    func checkConditionalWrites(probe: String, options: PutOptions) async throws
    /// Seconds the store's clock is ahead of this host's, as far as its answers tell (S3: their `Date`
    /// headers; 0 for ktape's own stores). Leases are timed by it, so hosts whose clocks differ agree.
    var clockOffset: TimeInterval { get }
    /// Whether any object here can be under Object Lock (retention or a legal hold): false only when
    /// the store says so (S3: the bucket has no Object Lock configuration), nil when it cannot tell.
    func objectLockEnabled() async -> Bool?
}

extension ObjectStore {
    /// ktape's own stores (a directory, memory) make conditional writes themselves.
    public func checkConditionalWrites(probe: String, options: PutOptions) async throws {}

    /// ktape's own stores keep this host's time.
    public var clockOffset: TimeInterval { 0 }

    /// Unknown: each object's `head` tells (cheap on ktape's own stores).
    public func objectLockEnabled() async -> Bool? { nil }

    /// Stores whose writes leave nothing behind when killed (S3: unfinished uploads are listed) have
    /// nothing to remove.
    public func removeAbandonedWrites() async throws -> Int { 0 }

    /// Stores that keep no checksums (a directory) answer like `head`.
    public func headWithChecksum(_ key: String) async throws -> ObjectInfo {
        try await head(key)
    }

    @discardableResult
    public func put(_ key: String, body: [UInt8]) async throws -> PutResult {
        try await put(key, body: body, options: PutOptions())
    }

    public func delete(_ key: String) async throws {
        try await delete(key, ifMatch: nil)
    }

    public func get(_ key: String) async throws -> [UInt8] {
        try await get(key, range: nil)
    }

    public func getEach(_ keys: [String]) async -> [Result<[UInt8], any Error>] {
        await withTaskGroup(of: (Int, Result<[UInt8], any Error>).self) { group in
            for (position, key) in keys.enumerated() {
                group.addTask {
                    do {
                        return (position, .success(try await get(key)))
                    } catch {
                        return (position, .failure(error))
                    }
                }
            }
            var bodies = [Result<[UInt8], any Error>](repeating: .success([]), count: keys.count)
            for await (position, body) in group { bodies[position] = body }
            return bodies
        }
    }

    public func list(prefix: String, delimiter: String? = nil, continuationToken: String? = nil) async throws -> ListPage {
        try await list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: 1000)
    }

    /// For stores without a cheaper way: a full listing, filtered.
    public func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary] {
        try await listAll(prefix: prefix).filter { StoreKey.utf8Less(startAfter, $0.key) }
    }

    /// Every object under `prefix`, following continuation tokens.
    public func listAll(prefix: String) async throws -> [ObjectSummary] {
        var all: [ObjectSummary] = []
        for try await object in objects(prefix: prefix) { all.append(object) }
        return all
    }

    /// Every object under `prefix` as an async sequence, fetching pages as it goes.
    public func objects(prefix: String, pageSize: Int = 1000) -> ObjectListing {
        ObjectListing { self.listingPages(prefix: prefix, pageSize: pageSize) }
    }

    /// Pages of `list`, following its continuation tokens.
    public func listingPages(prefix: String, pageSize: Int) -> any ListingPages<ObjectSummary> {
        TokenPages(store: self, prefix: prefix, pageSize: pageSize)
    }

    /// Every key under `prefix`, with its size where the store lists sizes at no extra cost: for
    /// callers that need only the keys, or the sizes of a few.
    public func keys(prefix: String, pageSize: Int = 1000) -> KeyListing {
        KeyListing { self.keyPages(prefix: prefix, pageSize: pageSize) }
    }

    public func keyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey> {
        SizedKeyPages(listingPages(prefix: prefix, pageSize: pageSize))
    }

    /// Every key under `prefix` with its size (never nil), without the ETags and times `objects` gives.
    public func sizedKeys(prefix: String, pageSize: Int = 1000) -> KeyListing {
        KeyListing { self.sizedKeyPages(prefix: prefix, pageSize: pageSize) }
    }

    public func sizedKeyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey> {
        SizedKeyPages(listingPages(prefix: prefix, pageSize: pageSize))
    }

    /// Writes an object that is never replaced (`If-None-Match: *`). An object already there with the
    /// same bytes counts as written: a retry of a write whose answer was lost meets its own object.
    public func putOnce(_ key: String, body: [UInt8], options: PutOptions) async throws {
        var options = options
        options.ifNoneMatch = true
        options.ifMatch = nil
        do {
            try await put(key, body: body, options: options)
        } catch let error as StoreError where error.isAlreadyExists {
            guard try await get(key) == body else { throw error }
        }
    }

    /// Whether `key` exists (a head that maps not-found to false).
    public func exists(_ key: String) async throws -> Bool {
        do {
            _ = try await head(key)
            return true
        } catch let error as StoreError where error.isNotFound {
            return false
        }
    }
}
