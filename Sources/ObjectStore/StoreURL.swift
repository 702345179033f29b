import Foundation

/// Where a store lives: `s3://bucket[/prefix]`, `file:///path` or a plain directory path.
public enum StoreURL: Sendable, Equatable, CustomStringConvertible {
    case s3(bucket: String, prefix: String)
    case directory(path: String)

    /// Parses the `--store` value.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw StoreURLError(text: text, reason: "the store URL is empty") }
        if trimmed.hasPrefix("s3://") {
            let rest = trimmed.dropFirst(5)
            let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let bucket = String(parts.first ?? "")
            try Self.checkBucket(bucket, text: text)
            let prefix = parts.count > 1 ? String(parts[1]).split(separator: "/").joined(separator: "/") : ""
            self = .s3(bucket: bucket, prefix: prefix)
        } else if trimmed.hasPrefix("file://") {
            let rest = trimmed.dropFirst(7)
            let path: Substring
            if rest.hasPrefix("/") {
                path = rest
            } else if rest.hasPrefix("localhost/") {
                path = rest.dropFirst("localhost".count)
            } else {
                throw StoreURLError(text: text, reason: "a file URL needs an absolute path, e.g. file:///var/backups")
            }
            self = .directory(path: (String(path).removingPercentEncoding ?? String(path)))
        } else if let scheme = trimmed.range(of: "://") {
            throw StoreURLError(text: text, reason: "unknown scheme '\(trimmed[..<scheme.lowerBound])'; use s3://bucket[/prefix], file:///path or a directory path")
        } else {
            let absolute = trimmed.hasPrefix("/") ? trimmed : FileManager.default.currentDirectoryPath + "/" + trimmed
            self = .directory(path: (absolute as NSString).standardizingPath)
        }
    }

    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        case .directory(let path): return "file://\(path)"
        }
    }

    /// S3's bucket naming rules, checked early so a typo gets a clear line instead of a server error.
    private static func checkBucket(_ bucket: String, text: String) throws {
        guard !bucket.isEmpty else { throw StoreURLError(text: text, reason: "no bucket name after s3://") }
        guard (3...63).contains(bucket.count) else {
            throw StoreURLError(text: text, reason: "bucket name '\(bucket)' must be 3 to 63 characters long")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard bucket.allSatisfy({ allowed.contains($0) }) else {
            throw StoreURLError(text: text, reason: "bucket name '\(bucket)' may hold only lower-case letters, digits, dots and hyphens")
        }
        guard let first = bucket.first, let last = bucket.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            throw StoreURLError(text: text, reason: "bucket name '\(bucket)' must begin and end with a letter or digit")
        }
    }
}

/// A `--store` value that could not be read.
public struct StoreURLError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "invalid store URL '\(text)': \(reason)" }
}

/// How to reach S3 when a store URL names a bucket.
public struct S3Access: Sendable {
    public var region: String
    public var endpoint: String?
    public var pathStyle: Bool?
    public var credentials: any CredentialsProvider
    public var transport: any HTTPTransport
    public var expectedBucketOwner: String?

    public init(region: String, endpoint: String? = nil, pathStyle: Bool? = nil, credentials: any CredentialsProvider,
                transport: any HTTPTransport = CurlTransport(), expectedBucketOwner: String? = nil) {
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.credentials = credentials
        self.transport = transport
        self.expectedBucketOwner = expectedBucketOwner
    }
}

extension StoreURL {
    /// Opens the store the URL names. Keys are relative to the URL's prefix: the returned store adds it.
    /// `s3` is only needed (and only used) for `s3://` URLs.
    public func open(s3 access: S3Access? = nil) throws -> any ObjectStore {
        switch self {
        case .directory(let path):
            return try LocalDirectoryStore(root: path)
        case .s3(let bucket, let prefix):
            guard let access else {
                throw StoreURLError(text: description, reason: "S3 access settings (region, credentials) are needed for an s3:// store")
            }
            let store = try S3Store(config: S3Configuration(bucket: bucket, region: access.region, endpoint: access.endpoint,
                                                            pathStyle: access.pathStyle, expectedBucketOwner: access.expectedBucketOwner),
                                    credentials: access.credentials, transport: access.transport)
            return prefix.isEmpty ? store : PrefixedStore(base: store, prefix: prefix)
        }
    }
}
