import SigV4

/// Step 3 of the chain: the selected profile (`AWS_PROFILE`, else `default`) of the shared files.
///
/// A profile yields static keys (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`)
/// or web identity (`web_identity_token_file`, `role_arn`, `role_session_name`). Profiles that need
/// what ktape does not implement (`credential_process`, SSO, `source_profile` role chaining) fail
/// with an error naming the profile and a way out, instead of silently using another source.
/// A profile named by `AWS_PROFILE` that does not exist is an error; a missing `default` is a skip.
public struct ProfileCredentialsSource: CredentialsSource {
    public let name = "shared files"
    private let files: SharedConfigFiles
    private let environment: [String: String]
    private let region: String?
    private let transport: HTTPTransport
    private let clock: CredentialsClock

    public init(files: SharedConfigFiles, environment: [String: String], region: String?,
                transport: HTTPTransport, clock: @escaping CredentialsClock) {
        self.files = files
        self.environment = environment
        self.region = region
        self.transport = transport
        self.clock = clock
    }

    public func lookup() async throws -> CredentialsLookup {
        let profileName = files.selectedProfile
        guard let profile = files.profile(profileName) else {
            if files.profileWasNamed {
                throw CredentialsError.profileNotFound(profile: profileName, files: files.paths)
            }
            let where_ = files.paths.isEmpty ? "HOME not set" : "not in " + files.paths.joined(separator: " or ")
            return .notConfigured("profile '\(profileName)' \(where_)")
        }
        let keyId = profile["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = profile["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
        switch (keyId, secret) {
        case (let keyId?, let secret?):
            let token = profile["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
            return .found(Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token))
        case (_?, nil):
            throw CredentialsError.invalidProfile(profile: profileName, reason: "aws_access_key_id is set but aws_secret_access_key is missing")
        case (nil, _?):
            throw CredentialsError.invalidProfile(profile: profileName, reason: "aws_secret_access_key is set but aws_access_key_id is missing")
        case (nil, nil):
            break
        }
        if let tokenFile = profile["web_identity_token_file"], !tokenFile.isEmpty {
            guard let roleArn = profile["role_arn"], !roleArn.isEmpty else {
                throw CredentialsError.invalidProfile(profile: profileName, reason: "web_identity_token_file is set but role_arn is missing")
            }
            let source = WebIdentityCredentialsSource(
                name: "web identity of profile '\(profileName)'", tokenFile: expandTilde(tokenFile, home: environment["HOME"]),
                roleArn: roleArn, sessionName: profile["role_session_name"],
                stsEndpoint: WebIdentityCredentialsSource.stsEndpoint(environment: environment, region: region),
                transport: transport, clock: clock)
            return try await source.lookup()
        }
        if profile["credential_process"] != nil {
            throw CredentialsError.invalidProfile(profile: profileName, reason: "credential_process is not supported by ktape; "
                + "export the keys (aws configure export-credentials --format env) or use another source")
        }
        if profile["sso_session"] != nil || profile["sso_start_url"] != nil {
            throw CredentialsError.invalidProfile(profile: profileName, reason: "SSO profiles are not supported by ktape; "
                + "run `aws configure export-credentials --profile \(profileName) --format env` and export the result")
        }
        if profile["role_arn"] != nil {
            throw CredentialsError.invalidProfile(profile: profileName, reason: "role_arn with source_profile or credential_source "
                + "is not supported by ktape; use web_identity_token_file or export assumed-role keys")
        }
        return .notConfigured("profile '\(profileName)' has no credentials")
    }
}
