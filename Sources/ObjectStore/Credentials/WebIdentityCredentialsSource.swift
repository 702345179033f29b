import Foundation
import SigV4

/// Step 2 of the chain (and profiles with `web_identity_token_file`): trades an OIDC token from a
/// file for temporary credentials with an unsigned STS `AssumeRoleWithWebIdentity` call. This is how
/// EKS IRSA and other federated workloads get credentials.
///
/// The token file is read on every refresh because the platform rotates it. The STS endpoint is
/// `AWS_ENDPOINT_URL_STS` or the profile's `services` entry if set, else the regional
/// `https://sts.<region>.amazonaws.com` (the global `https://sts.amazonaws.com` when no region is
/// known). `AWS_ENDPOINT_URL` is deliberately not used here: it usually points at an
/// S3-compatible store that has no STS.
public struct WebIdentityCredentialsSource: CredentialsSource {
    /// Where the role and token come from, for the chain's "tried" list and errors.
    public let name: String
    public let tokenFile: String?
    public let roleArn: String?
    public let sessionName: String?
    public let stsEndpoint: String
    private let transport: HTTPTransport
    private let clock: CredentialsClock

    /// From `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`; `files` adds the
    /// selected profile's `services` STS endpoint.
    public init(
        environment: [String: String], files: SharedConfigFiles? = nil, region: String?, transport: HTTPTransport,
        clock: @escaping CredentialsClock
    ) {
        self.init(
            name: "web identity",
            tokenFile: environment.nonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE").map { expandTilde($0, home: environment["HOME"]) },
            roleArn: environment.nonEmpty("AWS_ROLE_ARN"), sessionName: environment.nonEmpty("AWS_ROLE_SESSION_NAME"),
            stsEndpoint: ConfiguredEndpoint.sts(environment: environment, files: files, region: region).url,
            transport: transport, clock: clock)
    }

    public init(
        name: String, tokenFile: String?, roleArn: String?, sessionName: String?, stsEndpoint: String,
        transport: HTTPTransport, clock: @escaping CredentialsClock
    ) {
        self.name = name
        self.tokenFile = tokenFile
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.stsEndpoint = stsEndpoint
        self.transport = transport
        self.clock = clock
    }

    /// `AWS_ENDPOINT_URL_STS`, else the regional endpoint, else the global one (see `ConfiguredEndpoint.sts`).
    public static func stsEndpoint(environment: [String: String], region: String?) -> String {
        ConfiguredEndpoint.sts(environment: environment, files: nil, region: region).url
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
            // The token is read on every try: the platform rotates the file.
            let session = sessionName ?? "ktape-\(Int(clock().timeIntervalSince1970))"
            let sts = STSClient(endpoint: stsEndpoint, signingRegion: "us-east-1", transport: transport)
            return .found(
                try await sts.credentials(
                    form: [
                        ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"),
                        ("RoleArn", roleArn), ("RoleSessionName", session),
                        ("WebIdentityToken", try readToken(tokenFile))
                    ],
                    signedWith: nil, source: "STS AssumeRoleWithWebIdentity for \(roleArn)"))
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
