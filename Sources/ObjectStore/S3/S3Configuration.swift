/// Where and how to reach one S3 bucket.
public struct S3Configuration: Sendable, Equatable {
    public var bucket: String
    public var region: String
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`, `https://minio.local`); nil means AWS.
    /// Plain `http` is only ever used when an endpoint says so.
    public var endpoint: String?
    /// Path-style (`host/bucket/key`) rather than virtual-hosted (`bucket.host/key`) addressing.
    /// nil: path-style with a custom endpoint, virtual-hosted on AWS.
    public var pathStyle: Bool?
    /// Sent as `x-amz-expected-bucket-owner` on every request.
    public var expectedBucketOwner: String?
    /// Attempts per request, the first included, on transient failures.
    public var maxAttempts: Int
    /// First backoff step in seconds; each retry doubles the cap, and the wait is uniform in [0, cap].
    public var baseRetryDelay: Double
    public var maxRetryDelay: Double
    /// Seconds for one whole exchange; nil means only the transport's stall detection applies.
    public var requestTimeout: Double?

    public init(bucket: String, region: String = "us-east-1", endpoint: String? = nil, pathStyle: Bool? = nil,
                expectedBucketOwner: String? = nil, maxAttempts: Int = 6, baseRetryDelay: Double = 0.2,
                maxRetryDelay: Double = 20, requestTimeout: Double? = nil) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.expectedBucketOwner = expectedBucketOwner
        self.maxAttempts = max(1, maxAttempts)
        self.baseRetryDelay = baseRetryDelay
        self.maxRetryDelay = maxRetryDelay
        self.requestTimeout = requestTimeout
    }
}

/// Turns a bucket and key into the URL and Host header of a request.
struct S3Addressing: Sendable {
    let scheme: String
    /// `host[:port]` as the Host header carries it.
    let host: String
    /// Path prefix of the endpoint itself (usually empty).
    let basePath: String
    let bucketInPath: Bool
    let bucket: String

    init(_ config: S3Configuration) throws {
        bucket = config.bucket
        if let endpoint = config.endpoint {
            guard let schemeEnd = endpoint.range(of: "://") else {
                throw StoreError(.invalidRequest, operation: "configure", location: "s3://\(config.bucket)",
                                 message: "the endpoint URL '\(endpoint)' needs a scheme, e.g. https://host:port")
            }
            scheme = endpoint[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else {
                throw StoreError(.invalidRequest, operation: "configure", location: "s3://\(config.bucket)",
                                 message: "the endpoint URL '\(endpoint)' must start with http:// or https://")
            }
            let rest = endpoint[schemeEnd.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            host = String(rest[..<slash])
            var path = String(rest[slash...])
            while path.hasSuffix("/") { path.removeLast() }
            basePath = path
            bucketInPath = config.pathStyle ?? true
        } else {
            scheme = "https"
            // Buckets with dots do not match the wildcard certificate in virtual-hosted style.
            let virtual = !(config.pathStyle ?? false) && !config.bucket.contains(".")
            let regional = "s3.\(config.region).amazonaws.com"
            host = virtual ? "\(config.bucket).\(regional)" : regional
            basePath = ""
            bucketInPath = !virtual
        }
    }

    /// The unencoded path for `key` (nil: the bucket itself).
    func path(for key: String?) -> String {
        let bucketPart = bucketInPath ? "/" + bucket : ""
        guard let key else { return basePath + bucketPart + "/" }
        return basePath + bucketPart + "/" + key
    }
}
