import Checksums
import Foundation

/// The SASL/OAUTHBEARER token of Amazon MSK IAM authentication, made the way AWS's MSK IAM SASL
/// signer libraries make it (`aws-msk-iam-sasl-signer-python` and its Java, Go and JS siblings):
///
/// 1. a `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect` request,
///    presigned with SigV4 for the service `kafka-cluster`, valid for 900 seconds;
/// 2. `User-Agent=<client>` appended to the URL after signing (it names the client, unsigned);
/// 3. the URL's UTF-8 bytes in base64url without `=` padding.
///
/// The host is the region's `kafka` endpoint, not a broker's: the OAUTHBEARER signers all sign for
/// it, and MSK checks the token against the cluster's region. A pure function of its inputs, so the
/// token can be compared byte for byte with the reference signer's for the same clock.
public struct MSKAuthToken: Sendable, Equatable, CustomStringConvertible {
    /// Seconds a token is valid, as the AWS signers set it.
    public static let lifetimeSeconds = 900
    /// The `User-Agent` ktape's tokens carry.
    public static let defaultUserAgent = "ktape-msk-iam"

    /// The token as librdkafka hands it to the broker.
    public let value: String
    /// The signing time (whole seconds) plus `lifetimeSeconds`, as the signers report it.
    public let expiration: Date

    /// Signs a token for `region` at `date` with `credentials`.
    public init(credentials: Credentials, region: String, date: Date, userAgent: String = MSKAuthToken.defaultUserAgent) {
        let host = "kafka.\(region).amazonaws.com"
        let signer = Signer(credentials: credentials, region: region, service: "kafka-cluster")
        let request = SignableRequest(method: "GET", host: host, path: "/", query: [("Action", "kafka-cluster:Connect")])
        var query = signer.presignedQuery(request, date: date, expires: Self.lifetimeSeconds)
        query.append(("User-Agent", userAgent))
        let encodedQuery = query.map { "\(URIEncoding.encode($0.name))=\(URIEncoding.encode($0.value))" }.joined(separator: "&")
        let url = "https://\(host)/?\(encodedQuery)"
        value = Self.base64URL(Array(url.utf8))
        expiration = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + Double(Self.lifetimeSeconds))
    }

    /// Never the token itself: it is a bearer credential for the cluster until it expires.
    public var description: String { "MSKAuthToken(expires: \(Signer.timestamp(expiration)))" }

    /// The signed URL inside a token (for tests and diagnostics); nil when `token` is not base64url.
    public static func signedURL(of token: String) -> String? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).flatMap { String(data: $0, encoding: .utf8) }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
