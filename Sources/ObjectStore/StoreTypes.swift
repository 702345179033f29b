import Foundation
import Layout

/// Bytes `offset ..< offset + length` of an object.
public struct ByteRange: Sendable, Equatable, CustomStringConvertible {
    public var offset: Int64
    public var length: Int64
    public init(offset: Int64, length: Int64) {
        self.offset = offset
        self.length = length
    }

    /// The HTTP `Range` value.
    public var httpValue: String { "bytes=\(offset)-\(offset + length - 1)" }
    public var description: String { "bytes \(offset)..<\(offset + length)" }
}

/// Object Lock retention: nobody can delete the object before `retainUntil`.
public struct ObjectLockRetention: Sendable, Equatable {
    public var mode: ObjectLockMode
    public var retainUntil: Date
    public init(mode: ObjectLockMode, retainUntil: Date) {
        self.mode = mode
        self.retainUntil = retainUntil
    }
}

/// Options of a put or multipart upload, all sent as S3 headers.
public struct PutOptions: Sendable, Equatable {
    public var contentType: String?
    public var serverSideEncryption: ServerSideEncryption?
    /// SSE-KMS key; nil means the account's default `aws/s3` key.
    public var kmsKeyID: String?
    /// `STANDARD`, `STANDARD_IA`, `GLACIER_IR`, …
    public var storageClass: String?
    /// Canned ACL, e.g. `bucket-owner-full-control`.
    public var acl: String?
    public var objectLock: ObjectLockRetention?
    /// Sent as `x-amz-expected-bucket-owner`, so a write into the wrong account's bucket fails.
    public var expectedBucketOwner: String?
    /// Create only: fail with `isAlreadyExists` if the key exists (`If-None-Match: *`).
    public var ifNoneMatch: Bool
    /// Replace only the version with this ETag: fail with `isConditionFailed` when the object changed
    /// or is gone (`If-Match`), so two writers never both replace the same version.
    public var ifMatch: String?
    /// User metadata (`x-amz-meta-*`), names lower-case.
    public var metadata: [String: String]

    public init(
        contentType: String? = nil, serverSideEncryption: ServerSideEncryption? = nil, kmsKeyID: String? = nil,
        storageClass: String? = nil,
        acl: String? = nil, objectLock: ObjectLockRetention? = nil, expectedBucketOwner: String? = nil,
        ifNoneMatch: Bool = false, ifMatch: String? = nil, metadata: [String: String] = [:]
    ) {
        self.contentType = contentType
        self.serverSideEncryption = serverSideEncryption
        self.kmsKeyID = kmsKeyID
        self.storageClass = storageClass
        self.acl = acl
        self.objectLock = objectLock
        self.expectedBucketOwner = expectedBucketOwner
        self.ifNoneMatch = ifNoneMatch
        self.ifMatch = ifMatch
        self.metadata = metadata
    }
}

public struct PutResult: Sendable, Equatable {
    /// As the store reports it, quotes removed.
    public var etag: String
    public init(etag: String) { self.etag = etag }
}

/// A part the store accepted, to pass to `completeMultipartUpload`.
public struct CompletedPart: Sendable, Equatable {
    public var partNumber: Int
    public var etag: String
    /// The part's CRC64NVME in base64, when the upload carries checksums (S3 wants it back on completion).
    public var checksumCRC64NVME: String?
    /// The part's size in bytes, when known: with the checksums, what the whole object's CRC64NVME
    /// is made of.
    public var length: Int64?
    public init(partNumber: Int, etag: String, checksumCRC64NVME: String? = nil, length: Int64? = nil) {
        self.partNumber = partNumber
        self.etag = etag
        self.checksumCRC64NVME = checksumCRC64NVME
        self.length = length
    }
}

public struct MultipartUploadInfo: Sendable, Equatable {
    public var key: String
    public var uploadId: String
    public init(key: String, uploadId: String) {
        self.key = key
        self.uploadId = uploadId
    }
}

/// What `head` tells about an object.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModified: Date?
    public var contentType: String?
    /// User metadata, names lower-case without `x-amz-meta-`.
    public var metadata: [String: String]
    /// The checksum the store keeps with the object; only `headWithChecksum` asks for it.
    public var checksum: StoredChecksum?
    /// Object Lock retention, when the object has one (nobody may delete it before `retainUntil`).
    public var objectLock: ObjectLockRetention?
    /// An Object Lock legal hold: nobody may delete the object until it is lifted, whatever its retention.
    public var legalHold = false
    public init(
        key: String, size: Int64, etag: String, lastModified: Date? = nil, contentType: String? = nil,
        metadata: [String: String] = [:], checksum: StoredChecksum? = nil, objectLock: ObjectLockRetention? = nil
    ) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.contentType = contentType
        self.metadata = metadata
        self.checksum = checksum
        self.objectLock = objectLock
    }

    /// True when Object Lock keeps the object from being deleted at `now`.
    public func isLocked(at now: Date) -> Bool { legalHold || (objectLock.map { $0.retainUntil > now } ?? false) }
}

/// A checksum a store keeps with an object, as S3 reports it (`x-amz-checksum-<algorithm>` and
/// `x-amz-checksum-type` of a HEAD with checksum mode).
public struct StoredChecksum: Sendable, Equatable, CustomStringConvertible {
    /// `CRC64NVME`, `CRC32`, `CRC32C`, `SHA1` or `SHA256`.
    public var algorithm: String
    /// Base64 of the checksum; a composite one (of the parts' checksums) ends in `-<parts>`.
    public var value: String
    /// `FULL_OBJECT` (a checksum of the object's bytes, whatever its parts) or `COMPOSITE`; nil when the
    /// store does not say (S3 before composite checksums existed: a full-object one).
    public var type: String?

    public init(algorithm: String, value: String, type: String? = nil) {
        self.algorithm = algorithm
        self.value = value
        self.type = type
    }

    /// Whether it is a checksum of the whole object's bytes (so independent of how it was uploaded).
    public var isFullObject: Bool { type.map { $0 == "FULL_OBJECT" } ?? !value.contains("-") }

    public var description: String { "\(algorithm) \(value)\(type.map { " (\($0))" } ?? "")" }
}

/// An object's bytes with the ETag of exactly that version, for a later `ifMatch` write.
public struct TaggedObject: Sendable, Equatable {
    public var body: [UInt8]
    public var etag: String
    public init(body: [UInt8], etag: String) {
        self.body = body
        self.etag = etag
    }
}

/// One listed object.
public struct ObjectSummary: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModified: Date?
    /// S3's storage class as listed (`STANDARD`, `GLACIER`, ...); nil where a store names none.
    public var storageClass: String?
    public init(key: String, size: Int64, etag: String, lastModified: Date? = nil, storageClass: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.storageClass = storageClass
    }
}

/// One page of a listing.
public struct ListPage: Sendable, Equatable {
    public var objects: [ObjectSummary]
    public var commonPrefixes: [String]
    /// Pass back to `list` for the next page; nil on the last page.
    public var nextToken: String?
    public init(objects: [ObjectSummary], commonPrefixes: [String] = [], nextToken: String? = nil) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
        self.nextToken = nextToken
    }
}
