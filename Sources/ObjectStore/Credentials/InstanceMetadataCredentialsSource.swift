import SigV4

/// Step 5 of the chain: the instance profile role from EC2 instance metadata (IMDS).
///
/// IMDSv2: `PUT /latest/api/token` with a TTL header, then `GET
/// /latest/meta-data/iam/security-credentials/` for the role name and `GET .../<role>` for the
/// credentials, each carrying the token. A token request answered 403, 404 or 405 (IMDSv2 not
/// offered) falls back to IMDSv1, as the AWS SDKs do, unless `AWS_EC2_METADATA_V1_DISABLED=true`.
///
/// The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `http://[fd00:ec2::254]` when
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`, else `http://169.254.169.254`.
/// `AWS_EC2_METADATA_DISABLED=true` skips the step without sending anything. Every request has a
/// 1-second timeout, so a machine outside EC2 moves on quickly; no answer counts as "not on EC2".
/// An answer of 5xx or 429 is a metadata service that is there but failing or throttling: a
/// failure a rerun may cure, not "no credentials".
public struct InstanceMetadataCredentialsSource: CredentialsSource {
    public let name = "EC2 instance metadata"
    public static let defaultEndpoint = "http://169.254.169.254"
    public static let ipv6Endpoint = "http://[fd00:ec2::254]"
    /// Seconds a metadata token lives; the SDKs' usual six hours.
    static let tokenTTL = "21600"
    static let timeout = 1.0

    private let environment: [String: String]
    private let transport: HTTPTransport

    public init(environment: [String: String], transport: HTTPTransport) {
        self.environment = environment
        self.transport = transport
    }

    /// The metadata service base URL this environment selects, without a trailing slash.
    public var endpoint: String {
        var base =
            environment.nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            ?? (environment["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"]?.lowercased() == "ipv6" ? Self.ipv6Endpoint : Self.defaultEndpoint)
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    public func lookup() async throws -> CredentialsLookup {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            return .notConfigured("disabled by AWS_EC2_METADATA_DISABLED")
        }
        let base = endpoint
        let token: String?
        switch await fetchToken(base) {
        case .token(let value): token = value
        case .v1Fallback:
            if environment["AWS_EC2_METADATA_V1_DISABLED"]?.lowercased() == "true" {
                return .notConfigured("\(base) offers no IMDSv2 token and AWS_EC2_METADATA_V1_DISABLED is true")
            }
            token = nil
        case .skip(let reason): return .notConfigured(reason)
        case .failing(let url, let status): throw Self.failing(url, status)
        }
        var headers: [(name: String, value: String)] = []
        if let token { headers.append(("X-aws-ec2-metadata-token", token)) }

        let listURL = base + "/latest/meta-data/iam/security-credentials/"
        let list: HTTPResponse
        do {
            list = try await transport.send(HTTPRequest(method: "GET", url: listURL, headers: headers, timeout: Self.timeout))
        } catch {
            return .notConfigured("no answer from \(listURL) (\(error))")
        }
        if list.status == 404 { return .notConfigured("no IAM role attached to this instance") }
        if Self.isFailing(list.status) { throw Self.failing(listURL, list.status) }
        guard list.status == 200 else { return .notConfigured("HTTP \(list.status) from \(listURL)") }
        let roles = String(decoding: list.body, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
        guard let role = roles.first(where: { !$0.isEmpty }) else { return .notConfigured("no IAM role attached to this instance") }

        let roleURL = listURL + formEncode(role)
        let answer: HTTPResponse
        do {
            answer = try await transport.send(HTTPRequest(method: "GET", url: roleURL, headers: headers, timeout: Self.timeout))
        } catch {
            throw CredentialsError.endpointFailed(source: "EC2 instance metadata for role \(role)", url: roleURL, reason: "\(error)")
        }
        guard answer.status == 200 else {
            if Self.isFailing(answer.status) { throw Self.failing(roleURL, answer.status) }
            throw CredentialsError.badResponse(
                source: "EC2 instance metadata for role \(role)", url: roleURL, reason: "HTTP \(answer.status)")
        }
        switch CredentialsDocument.parse(answer.body) {
        case .success(let credentials): return .found(credentials)
        case .failure(let problem):
            throw CredentialsError.badResponse(source: "EC2 instance metadata for role \(role)", url: roleURL, reason: problem.reason)
        }
    }

    private enum TokenOutcome {
        case token(String)
        case v1Fallback
        case skip(String)
        case failing(url: String, status: Int)
    }

    private static func isFailing(_ status: Int) -> Bool { status >= 500 || status == 429 }

    private static func failing(_ url: String, _ status: Int) -> CredentialsError {
        .endpointFailed(source: "EC2 instance metadata", url: url, reason: "HTTP \(status)")
    }

    private func fetchToken(_ base: String) async -> TokenOutcome {
        let url = base + "/latest/api/token"
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(
                    method: "PUT", url: url,
                    headers: [("X-aws-ec2-metadata-token-ttl-seconds", Self.tokenTTL)],
                    timeout: Self.timeout))
        } catch {
            return .skip("no answer from \(url) (\(error))")
        }
        switch response.status {
        case 200:
            let token = String(decoding: response.body, as: UTF8.self).trimmingWhitespace()
            return token.isEmpty ? .skip("empty token from \(url)") : .token(token)
        case 403, 404, 405:
            return .v1Fallback
        case let status where Self.isFailing(status):
            return .failing(url: url, status: status)
        default:
            return .skip("HTTP \(response.status) from \(url)")
        }
    }
}
