import Checksums
import Foundation

/// AWS Signature Version 4, as a pure function of request, credentials and date.
///
/// Each stage is its own function so tests can check it against AWS's published examples.
public struct Signer: Sendable {
    public var credentials: Credentials
    public var region: String
    /// `s3`, `sts`, `kafka-cluster`, …
    public var service: String
    /// AWS's rule: S3 paths are encoded once in the canonical request, every other service's twice.
    /// (AWS's generic test suite writes its paths already encoded, so it is checked with `false`.)
    public var encodesPathTwice: Bool

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.encodesPathTwice = service != "s3"
    }

    /// The signed request's headers to send: the caller's, plus `host`, `x-amz-date`,
    /// `x-amz-content-sha256` (S3 only), `x-amz-security-token` (temporary credentials) and `authorization`.
    public func signedHeaders(_ request: SignableRequest, date: Date) -> [(name: String, value: String)] {
        var headers = request.headers
        let names = Set(headers.map { $0.name.lowercased() })
        if !names.contains("host") { headers.append(("host", request.host)) }
        headers.append(("x-amz-date", Self.timestamp(date)))
        if service == "s3" && !names.contains("x-amz-content-sha256") {
            headers.append(("x-amz-content-sha256", request.payloadHash))
        }
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        var withAll = request
        withAll.headers = headers
        let canonical = canonicalRequest(withAll)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(date)),"
            + "SignedHeaders=\(Self.signedHeaderList(headers)),Signature=\(signature)"
        headers.append(("authorization", authorization))
        return headers
    }

    /// A presigned URL (query-string authentication) valid for `expires` seconds, its query sorted
    /// as AWS's examples print it. `scheme` is `https` for S3.
    public func presignedURL(_ request: SignableRequest, date: Date, expires: Int, scheme: String = "https") -> String {
        var query = presignedQuery(request, date: date, expires: expires)
        let signature = query.removeLast()
        // The signature goes last, as AWS's examples print it.
        let signedQuery = URIEncoding.canonicalQuery(query) + "&\(signature.name)=\(signature.value)"
        // The wire carries the path encoded once, whatever the canonical form.
        let absolute = request.path.hasPrefix("/") ? request.path : "/" + request.path
        return "\(scheme)://\(request.host)\(URIEncoding.encode(absolute, keepSlash: true))?\(signedQuery)"
    }

    /// The query of a presigned request in the order botocore writes it: the request's own
    /// parameters, then `X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`, `-SignedHeaders`,
    /// `-Security-Token` (temporary credentials), and `X-Amz-Signature` last. Values are unencoded.
    public func presignedQuery(_ request: SignableRequest, date: Date, expires: Int) -> [(name: String, value: String)] {
        var headers = request.headers
        if !headers.contains(where: { $0.name.lowercased() == "host" }) { headers.append(("host", request.host)) }
        var query = request.query
        query.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope(date))"))
        query.append(("X-Amz-Date", Self.timestamp(date)))
        query.append(("X-Amz-Expires", String(expires)))
        query.append(("X-Amz-SignedHeaders", Self.signedHeaderList(headers)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        var signable = request
        signable.query = query
        signable.headers = headers
        let canonical = canonicalRequest(signable)
        query.append(("X-Amz-Signature", signature(stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date)))
        return query
    }

    // MARK: stages

    /// Stage 1: the canonical request text.
    public func canonicalRequest(_ request: SignableRequest) -> String {
        let headers = Self.canonicalHeaders(request.headers)
        return [
            request.method.uppercased(),
            canonicalPath(request.path),
            URIEncoding.canonicalQuery(request.query),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            headers.map(\.name).joined(separator: ";"),
            request.payloadHash
        ].joined(separator: "\n")
    }

    /// Stage 2: the string to sign.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        [
            "AWS4-HMAC-SHA256",
            Self.timestamp(date),
            scope(date),
            Digest.hex(Digest.sha256(Array(canonicalRequest.utf8)))
        ].joined(separator: "\n")
    }

    /// Stage 3: the signing key for the date, region and service.
    public func signingKey(date: Date) -> [UInt8] {
        let dateKey = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), string: Self.day(date))
        let regionKey = Digest.hmacSHA256(key: dateKey, string: region)
        let serviceKey = Digest.hmacSHA256(key: regionKey, string: service)
        return Digest.hmacSHA256(key: serviceKey, string: "aws4_request")
    }

    /// Stage 4: the hex signature.
    public func signature(stringToSign: String, date: Date) -> String {
        Digest.hex(Digest.hmacSHA256(key: signingKey(date: date), string: stringToSign))
    }

    /// `20130524/us-east-1/s3/aws4_request`.
    public func scope(_ date: Date) -> String {
        "\(Self.day(date))/\(region)/\(service)/aws4_request"
    }

    /// The path as the canonical request carries it: encoded once (S3) or twice (other services).
    /// No dot-segment or slash normalisation: S3 keys keep them, and ktape signs other services
    /// only at `/`.
    public func canonicalPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        let once = URIEncoding.encode(absolute, keepSlash: true)
        return encodesPathTwice ? URIEncoding.encode(once, keepSlash: true) : once
    }

    // MARK: helpers

    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var merged: [String: [String]] = [:]
        for header in headers {
            merged[header.name.lowercased(), default: []].append(trimmed(header.value))
        }
        return merged.keys.sorted().map { ($0, merged[$0, default: []].joined(separator: ",")) }
    }

    static func signedHeaderList(_ headers: [(name: String, value: String)]) -> String {
        Set(headers.map { $0.name.lowercased() }).sorted().joined(separator: ";")
    }

    /// Leading and trailing spaces dropped, inner runs of spaces collapsed to one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// `20130524T000000Z`.
    public static func timestamp(_ date: Date) -> String {
        let t = utc(date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    }

    static func day(_ date: Date) -> String { String(timestamp(date).prefix(8)) }

    private static func utc(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }
}
