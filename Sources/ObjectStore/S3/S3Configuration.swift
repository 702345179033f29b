import Layout
/// Where and how to reach one S3 bucket.
public struct S3Configuration: Sendable, Equatable {
    public var bucket: String
    public var region: String
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`, `https://minio.local`); nil means AWS.
    /// Plain `http` is only ever used when an endpoint says so.
    public var endpoint: String?
    /// Path-style (`host/bucket/key`) or virtual-hosted (`bucket.host/key`) addressing.
    public var addressingStyle: AddressingStyle
    /// Sent as `x-amz-expected-bucket-owner` on every request.
    public var expectedBucketOwner: String?
    /// Attempts per request, the first included, on transient failures.
    public var maxAttempts: Int
    /// First backoff step in seconds; each retry doubles the cap, and the wait is uniform in [0, cap].
    public var baseRetryDelay: Double
    public var maxRetryDelay: Double
    /// Seconds for one whole exchange; nil means only the transport's stall detection applies.
    public var requestTimeout: Double?

    public init(
        bucket: String, region: String = "us-east-1", endpoint: String? = nil, addressingStyle: AddressingStyle = .auto,
        expectedBucketOwner: String? = nil, maxAttempts: Int = 6, baseRetryDelay: Double = 0.2,
        maxRetryDelay: Double = 20, requestTimeout: Double? = nil
    ) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint
        self.addressingStyle = addressingStyle
        self.expectedBucketOwner = expectedBucketOwner
        self.maxAttempts = max(1, maxAttempts)
        self.baseRetryDelay = baseRetryDelay
        self.maxRetryDelay = maxRetryDelay
        self.requestTimeout = requestTimeout
    }
}

/// Turns a bucket and key into the URL and Host header of a request, for the region requests are
/// signed for (AWS hosts are regional, so a bucket found in another region gets other hosts).
struct S3Addressing: Sendable {
    let scheme: String
    /// `host[:port]` as the Host header carries it.
    let host: String
    /// Path prefix of the endpoint itself (usually empty).
    let basePath: String
    let bucketInPath: Bool
    let bucket: String

    init(_ config: S3Configuration, region: String) throws {
        bucket = config.bucket
        let location = "s3://\(config.bucket)"
        if let endpoint = config.endpoint {
            guard let schemeEnd = endpoint.range(of: "://") else {
                throw StoreError(
                    .invalidRequest, operation: "configure", location: location,
                    message: "the endpoint URL '\(endpoint)' needs a scheme, e.g. https://host:port")
            }
            scheme = endpoint[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else {
                throw StoreError(
                    .invalidRequest, operation: "configure", location: location,
                    message: "the endpoint URL '\(endpoint)' must start with http:// or https://")
            }
            let rest = endpoint[schemeEnd.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let endpointHost = String(rest[..<slash])
            var path = String(rest[slash...])
            while path.hasSuffix("/") { path.removeLast() }
            basePath = path
            bucketInPath = config.addressingStyle != .virtual
            host = bucketInPath ? endpointHost : "\(config.bucket).\(endpointHost)"
        } else {
            scheme = "https"
            let regional = region.hasPrefix("cn-") ? "s3.\(region).amazonaws.com.cn" : "s3.\(region).amazonaws.com"
            let virtual: Bool
            switch config.addressingStyle {
            case .path: virtual = false
            // Buckets with dots do not match the wildcard certificate in virtual-hosted style.
            case .auto: virtual = !config.bucket.contains(".")
            case .virtual:
                guard !config.bucket.contains(".") else {
                    throw StoreError(
                        .invalidRequest, operation: "configure", location: location,
                        message: "a bucket name with dots cannot be addressed virtual-hosted over HTTPS "
                            + "(the certificate does not cover it); use --addressing-style path or auto")
                }
                virtual = true
            }
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
