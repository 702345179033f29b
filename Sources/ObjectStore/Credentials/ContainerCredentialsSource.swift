import Foundation
import SigV4

/// Step 4 of the chain: the ECS task role or EKS Pod Identity agent.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (ECS; host `169.254.170.2`) wins over
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, as in the AWS SDKs. A full URI over plain HTTP must name a
/// loopback address or one of the container agents' link-local addresses, so credentials are never
/// fetched from an arbitrary host. The `Authorization` header comes from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every refresh, since EKS rotates it), else from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialsSource: CredentialsSource {
    public let name = "container"
    /// The ECS agent's address, used with a relative URI.
    public static let ecsHost = "http://169.254.170.2"
    private static let allowedHTTPHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "localhost", "[::1]"]

    private let environment: [String: String]
    private let transport: HTTPTransport

    public init(environment: [String: String], transport: HTTPTransport) {
        self.environment = environment
        self.transport = transport
    }

    public func lookup() async throws -> CredentialsLookup {
        let url: String
        if let relative = environment.nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            url = Self.ecsHost + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = environment.nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            try Self.validateFullURI(full)
            url = full
        } else {
            return .notConfigured("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set")
        }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token = try authorizationToken() { headers.append(("Authorization", token)) }

        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers, timeout: 5))
        } catch {
            throw CredentialsError.endpointFailed(source: "container credentials", url: url, reason: "\(error)")
        }
        guard response.status == 200 else {
            // The agent is there but busy or failing: the next run may be answered.
            if response.status >= 500 || response.status == 429 {
                throw CredentialsError.endpointFailed(source: "container credentials", url: url, reason: "HTTP \(response.status)")
            }
            throw CredentialsError.badResponse(source: "container credentials", url: url, reason: "HTTP \(response.status)")
        }
        switch CredentialsDocument.parse(response.body) {
        case .success(let credentials): return .found(credentials)
        case .failure(let problem): throw CredentialsError.badResponse(source: "container credentials", url: url, reason: problem.reason)
        }
    }

    private func authorizationToken() throws -> String? {
        let token: String
        let variable: String
        if let path = environment.nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            variable = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
            do {
                token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CredentialsError.unreadableFile(path: path, reason: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE missing or unreadable")
            }
        } else if let value = environment.nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            token = value
            variable = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
        } else {
            return nil
        }
        // A line break would let the token inject headers.
        guard !token.contains("\r"), !token.contains("\n") else {
            throw CredentialsError.invalidVariable(name: variable, reason: "the token contains a line break")
        }
        return token
    }

    /// Throws unless `url` is HTTPS, or plain HTTP to loopback or a container agent address.
    public static func validateFullURI(_ url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.percentEncodedHost?.lowercased(), !host.isEmpty
        else {
            throw CredentialsError.invalidVariable(name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", reason: "\(url) is not an absolute URL")
        }
        if scheme == "https" { return }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard scheme == "http", allowedHTTPHosts.contains(bracketed) || isIPv4Loopback(host) else {
            throw CredentialsError.invalidVariable(
                name: "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                reason:
                    "\(URLRedaction.redacted(url)): plain HTTP is only allowed to loopback or the container agent (169.254.170.2, 169.254.170.23)"
            )
        }
    }

    /// `127.x.y.z` with four decimal octets; `127.0.0.1.example.com` is not loopback.
    private static func isIPv4Loopback(_ host: String) -> Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }
}
