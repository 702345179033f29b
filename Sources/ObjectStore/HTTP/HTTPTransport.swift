/// The one HTTP seam of ObjectStore: the S3 client and the credential providers (STS, container,
/// EC2 metadata) send requests through it, so tests can point them at loopback stubs.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL, already percent-encoded as it goes on the wire.
    public var url: String
    /// Header names as sent; order kept.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Seconds for the whole exchange; nil means the transport's default.
    public var timeout: Double?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Double? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// A failure below HTTP: no connection, a timeout, a dropped connection. Always worth a retry.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String
    /// EMFILE when the connection failed because this process may open no more descriptors.
    public var systemError: Int32?
    public init(url: String, reason: String, systemError: Int32? = nil) {
        self.url = url
        self.reason = reason
        self.systemError = systemError
    }
    public var description: String { "\(reason) (\(url))" }
}

public protocol HTTPTransport: Sendable {
    /// Sends one request and returns whatever status came back; throws only HTTPTransportError.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// URLs as they may appear in errors and logs: without `user:password@` and without the query,
/// either of which can carry a secret (a presigned token, a credentials endpoint's password).
public enum URLRedaction {
    public static func redacted(_ url: String) -> String {
        var text = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        if let schemeEnd = text.range(of: "://") {
            let authorityEnd = text[schemeEnd.upperBound...].firstIndex(of: "/") ?? text.endIndex
            if let at = text[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
                text.removeSubrange(schemeEnd.upperBound...at)
            }
        }
        return text
    }
}
