#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Failures

/// The one error every `ObjectStore` throws: what failed, on which store and key, and why,
/// in one line that never contains a secret.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case notFound
        case noSuchBucket
        case alreadyExists
        /// An `If-Match` write found another version, or no object at all.
        case conditionFailed
        case accessDenied
        case badSignature
        /// The request's time was too far from the server's (and its answer did not say the server's).
        case clockSkew
        case unknownAccessKey
        /// No credentials could be had (none configured, a profile or token file unusable).
        case noCredentials
        /// Object Lock headers sent to a bucket created without Object Lock.
        case objectLockNotEnabled
        /// The object's storage class archives it (S3 Glacier Flexible Retrieval, Deep Archive, an
        /// archive tier): it must be restored from the archive before it can be read.
        case archived
        /// The bucket lives in another region than the one requests are signed for.
        case wrongRegion
        case invalidRequest
        /// The server lacks what ktape relies on S3 for (a 501, conditional writes ignored, a
        /// listing without its continuation token): a rerun against the same server fails the same way.
        case unsupported
        case invalidKey
        /// 5xx, 429, SlowDown, a timeout or a dropped connection: worth a retry.
        case transient
        /// Retries used up on transient failures.
        case gaveUp(attempts: Int)
        /// A local failure: the file system, or (for any store) this process's open-files limit.
        case io
    }

    public var kind: Kind
    /// The verb, e.g. `put`, `get`, `list`.
    public var operation: String
    /// Where: `s3://bucket`, `file:///dir`, `memory:`.
    public var location: String
    public var key: String?
    /// The S3 error code (`NoSuchKey`, `SlowDown`, …) when a server sent one.
    public var code: String?
    /// The server's or the system's own words.
    public var message: String
    /// The HTTP status, when there was one.
    public var status: Int?
    /// The `errno` of the failed system call, for a local failure.
    public var systemError: Int32?

    public init(
        _ kind: Kind, operation: String, location: String, key: String? = nil, code: String? = nil, message: String = "", status: Int? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.location = location
        self.key = key
        self.code = code
        self.message = message
        self.status = status
    }

    public var isNotFound: Bool { kind == .notFound || kind == .noSuchBucket }
    public var isAlreadyExists: Bool { kind == .alreadyExists }
    /// A conditional write lost: the object was created (`If-None-Match`) or changed (`If-Match`) by another writer.
    public var isConditionFailed: Bool { kind == .alreadyExists || kind == .conditionFailed }
    /// False only for failures a retry may cure.
    public var isPermanent: Bool {
        switch kind {
        case .transient, .gaveUp: return false
        default: return true
        }
    }

    /// True for what a rerun cannot cure because the job or the account must change: a missing
    /// bucket, missing or refused credentials, the wrong region, Object Lock on a bucket without it.
    /// A scheduler should not retry these (exit 2); they are found by the first request. For a
    /// directory store, the local equivalents: permission denied, a read-only file system, a file
    /// where a directory belongs (or the reverse), a symbolic link loop, the open-files limit reached.
    public var isConfigurationError: Bool {
        switch kind {
        case .noSuchBucket, .accessDenied, .badSignature, .clockSkew, .unknownAccessKey, .noCredentials, .wrongRegion,
            .objectLockNotEnabled, .archived, .unsupported:
            return true
        case .io:
            return systemError.map(Self.configurationErrors.contains) ?? false
        default:
            return false
        }
    }

    /// The `errno` values a rerun with the same settings meets again.
    private static let configurationErrors: Set<Int32> = [EACCES, EPERM, EROFS, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG, EMFILE]

    /// `s3://bucket/key` or just the store.
    public var target: String {
        guard let key else { return location }
        return location.hasSuffix("/") ? location + key : location + "/" + key
    }

    public var description: String {
        let detail = [code, message.isEmpty ? nil : message].compactMap { $0 }.joined(separator: ": ")
        let suffix = detail.isEmpty ? "" : " (\(detail))"
        switch kind {
        case .notFound:
            return "\(operation) \(target): no such object\(suffix)"
        case .noSuchBucket:
            return "\(operation) \(target): the bucket \(bucketName) does not exist; check --store (and --endpoint-url, --region)\(suffix)"
        case .alreadyExists:
            return "\(operation) \(target): the object already exists and was not overwritten\(suffix)"
        case .conditionFailed:
            return "\(operation) \(target): another writer changed the object first\(suffix)"
        case .accessDenied:
            return "\(operation) \(target): access denied; check the IAM policy, bucket policy and expected bucket owner\(suffix)"
        case .badSignature:
            return
                "\(operation) \(target): the store refused the request signature: check the secret key (and the clock and region)\(suffix)"
        case .clockSkew:
            return
                "\(operation) \(target): the store refused the request's time: this host's clock is too far from the store's; set it right (NTP)\(suffix)"
        case .unknownAccessKey:
            return "\(operation) \(target): the store does not know the access key id; check the credentials\(suffix)"
        case .noCredentials:
            return "\(operation) \(target): \(message); give credentials through AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                + "AWS_PROFILE, web identity or an instance role (see docs/credentials.md)"
        case .objectLockNotEnabled:
            return "\(operation) \(target): the bucket \(bucketName) has no Object Lock configuration; use a bucket created with "
                + "Object Lock enabled, or drop object-lock-mode\(suffix)"
        case .archived:
            return "\(operation) \(target): the object is archived by its storage class (a lifecycle rule's transition to "
                + "Glacier or Deep Archive); restore it from the archive (aws s3api restore-object) and run again\(suffix)"
        case .wrongRegion:
            return "\(operation) \(target): the bucket is in another region; set --region (or AWS_REGION) to it\(suffix)"
        case .invalidRequest:
            return "\(operation) \(target): the store refused the request\(suffix)"
        case .unsupported:
            return
                "\(operation) \(target): the store does not do what S3 promises here\(suffix); ktape needs conditional writes (If-None-Match, If-Match), CRC64NVME checksums and ListObjectsV2 (docs/storage.md)"
        case .invalidKey:
            return "\(operation) \(target): invalid key\(suffix)"
        case .transient:
            return "\(operation) \(target): temporary failure\(suffix)"
        case .gaveUp(let attempts):
            return "\(operation) \(target): gave up after \(attempts) attempts\(suffix)"
        case .io:
            return "\(operation) \(target): \(message)" + (systemError == EMFILE ? "; \(OpenFiles.exhaustedAdvice)" : "")
        }
    }

    /// The bucket named by `location` (`s3://bucket` → `bucket`).
    private var bucketName: String {
        let name = location.hasPrefix("s3://") ? String(location.dropFirst(5)) : location
        return "'\(name.split(separator: "/").first.map(String.init) ?? name)'"
    }
}

extension StoreError: ConfigurationReportingError {}
