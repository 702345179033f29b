import Foundation
import SigV4

/// A role assumed with a signed STS `AssumeRole`, the way a profile with `role_arn` and
/// `source_profile` (or `credential_source`) asks for it. The source is itself a provider, so role
/// chains nest; each level caches its own credentials, and the caller's cache refreshes this one's
/// before `Expiration`.
public struct AssumeRoleCredentialsProvider: CredentialsProvider {
    /// The profile that names the role, for errors.
    public let profile: String
    public let roleArn: String
    public let externalID: String?
    /// `role_session_name`; default `ktape-<epoch seconds>`.
    public let sessionName: String?
    /// `duration_seconds` (900 to 43200); nil leaves STS's default (one hour).
    public let durationSeconds: Int?
    private let source: any CredentialsProvider
    private let sts: STSClient
    private let clock: CredentialsClock

    public init(
        profile: String, roleArn: String, externalID: String?, sessionName: String?, durationSeconds: Int?,
        source: any CredentialsProvider, stsEndpoint: String, signingRegion: String, transport: HTTPTransport,
        clock: @escaping CredentialsClock
    ) {
        self.profile = profile
        self.roleArn = roleArn
        self.externalID = externalID
        self.sessionName = sessionName
        self.durationSeconds = durationSeconds
        self.source = source
        self.sts = STSClient(endpoint: stsEndpoint, signingRegion: signingRegion, transport: transport)
        self.clock = clock
    }

    public func credentials() async throws -> Credentials {
        let signing: Credentials
        do {
            signing = try await source.credentials()
        } catch {
            throw CredentialsError.invalidProfile(profile: profile, reason: "no source credentials to assume \(roleArn): \(error)")
        }
        var form = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
            ("RoleSessionName", sessionName ?? "ktape-\(Int(clock().timeIntervalSince1970))")
        ]
        if let externalID { form.append(("ExternalId", externalID)) }
        if let durationSeconds { form.append(("DurationSeconds", String(durationSeconds))) }
        do {
            return try await sts.credentials(form: form, signedWith: signing, source: "STS AssumeRole for \(roleArn)")
        } catch let error as CredentialsError {
            throw CredentialsError.invalidProfile(profile: profile, reason: error.description)
        }
    }
}
