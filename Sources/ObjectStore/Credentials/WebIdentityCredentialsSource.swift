import Foundation
import SigV4

/// Step 2 of the chain (and profiles with `web_identity_token_file`): trades an OIDC token from a
/// file for temporary credentials with an unsigned STS `AssumeRoleWithWebIdentity` call. This is how
/// EKS IRSA and other federated workloads get credentials.
///
/// The token file is read on every refresh because the platform rotates it. The STS endpoint is
/// `AWS_ENDPOINT_URL_STS` if set, else the regional `https://sts.<region>.amazonaws.com` (the global
/// `https://sts.amazonaws.com` when no region is known). `AWS_ENDPOINT_URL` is deliberately not used
/// here: it usually points at an S3-compatible store that has no STS.
public struct WebIdentityCredentialsSource: CredentialsSource {
    /// Where the role and token come from, for the chain's "tried" list and errors.
    public let name: String
    public let tokenFile: String?
    public let roleArn: String?
    public let sessionName: String?
    public let stsEndpoint: String
    private let transport: HTTPTransport
    private let clock: CredentialsClock

    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`.
    public init(environment: [String: String], region: String?, transport: HTTPTransport, clock: @escaping CredentialsClock) {
        self.init(name: "web identity", tokenFile: environment.nonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE").map { expandTilde($0, home: environment["HOME"]) },
                  roleArn: environment.nonEmpty("AWS_ROLE_ARN"), sessionName: environment.nonEmpty("AWS_ROLE_SESSION_NAME"),
                  stsEndpoint: Self.stsEndpoint(environment: environment, region: region), transport: transport, clock: clock)
    }

    public init(name: String, tokenFile: String?, roleArn: String?, sessionName: String?, stsEndpoint: String,
                transport: HTTPTransport, clock: @escaping CredentialsClock) {
        self.name = name
        self.tokenFile = tokenFile
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.stsEndpoint = stsEndpoint
        self.transport = transport
        self.clock = clock
    }

    /// `AWS_ENDPOINT_URL_STS`, else the regional endpoint, else the global one.
    public static func stsEndpoint(environment: [String: String], region: String?) -> String {
        if let configured = environment.nonEmpty("AWS_ENDPOINT_URL_STS") { return configured }
        guard let region, !region.isEmpty else { return "https://sts.amazonaws.com" }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return "https://sts.\(region).\(suffix)"
    }

    public func lookup() async throws -> CredentialsLookup {
        switch (tokenFile, roleArn) {
        case (nil, nil):
            return .notConfigured("AWS_WEB_IDENTITY_TOKEN_FILE not set")
        case (_?, nil):
            throw CredentialsError.missingVariable(name: "AWS_ROLE_ARN", neededBy: "AWS_WEB_IDENTITY_TOKEN_FILE")
        case (nil, _?):
            throw CredentialsError.missingVariable(name: "AWS_WEB_IDENTITY_TOKEN_FILE", neededBy: "AWS_ROLE_ARN")
        case (let tokenFile?, let roleArn?):
            return .found(try await assumeRole(tokenFile: tokenFile, roleArn: roleArn))
        }
    }

    /// Tries twice: STS and identity providers have brief outages (`IDPCommunicationError`, 5xx,
    /// dropped connections), and one failed refresh should not fail a backup.
    private func assumeRole(tokenFile: String, roleArn: String) async throws -> Credentials {
        do {
            return try await assumeRoleOnce(tokenFile: tokenFile, roleArn: roleArn)
        } catch is Transient {
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        do {
            return try await assumeRoleOnce(tokenFile: tokenFile, roleArn: roleArn)
        } catch let transient as Transient {
            throw transient.error
        }
    }

    /// Wraps an error worth one more try.
    private struct Transient: Error { let error: CredentialsError }

    private func assumeRoleOnce(tokenFile: String, roleArn: String) async throws -> Credentials {
        let token = try readToken(tokenFile)
        let session = sessionName ?? "ktape-\(Int(clock().timeIntervalSince1970))"
        let form = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
                    ("RoleSessionName", session), ("WebIdentityToken", token)]
        let body = form.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(method: "POST", url: stsEndpoint,
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                                            ("Accept", "application/xml")],
                                  body: Array(body.utf8), timeout: 10)
        let source = "STS AssumeRoleWithWebIdentity for \(roleArn)"
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw Transient(error: .endpointFailed(source: source, url: stsEndpoint, reason: "\(error)"))
        }
        switch STSResponseParser.parse(response.body) {
        case .credentials(let credentials) where response.status == 200:
            return credentials
        case .stsError(let code, let message):
            let error = CredentialsError.badResponse(source: source, url: stsEndpoint,
                                                     reason: "HTTP \(response.status) \(code)\(message.isEmpty ? "" : ": \(message)")")
            if code == "IDPCommunicationError" || response.status >= 500 { throw Transient(error: error) }
            throw error
        case .malformed(let reason) where response.status == 200:
            throw CredentialsError.badResponse(source: source, url: stsEndpoint, reason: reason)
        default:
            let error = CredentialsError.badResponse(source: source, url: stsEndpoint, reason: "HTTP \(response.status)")
            if response.status >= 500 { throw Transient(error: error) }
            throw error
        }
    }

    private func readToken(_ path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CredentialsError.unreadableFile(path: path, reason: "web identity token file (\(name)) missing or unreadable")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CredentialsError.unreadableFile(path: path, reason: "web identity token file is empty") }
        return token
    }
}

/// `application/x-www-form-urlencoded` value encoding: only unreserved characters stay as they are.
func formEncode(_ value: String) -> String {
    var out = ""
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(Character(Unicode.Scalar(byte)))
        default:
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}
