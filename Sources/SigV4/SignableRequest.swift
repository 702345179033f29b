/// What SigV4 signs: a request described by value, not by any HTTP client's types.
public struct SignableRequest: Sendable {
    public var method: String
    /// `host` or `host:port`, exactly as the Host header carries it.
    public var host: String
    /// The path before encoding (`/bucket/key with spaces`); the signer encodes it.
    public var path: String
    /// Query parameters before encoding; order does not matter.
    public var query: [(name: String, value: String)]
    /// Headers to sign besides the ones the signer adds (`host`, `x-amz-date`, …).
    public var headers: [(name: String, value: String)]
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    public var payloadHash: String

    public init(
        method: String, host: String, path: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payloadHash: String = SignableRequest.emptyPayloadHash
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// SHA-256 of no bytes.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
}
