import SigV4

/// Step 3 of the chain: the selected profile (`--profile`, `AWS_PROFILE`, else `default`) of the shared files.
///
/// In the AWS CLI's order, a profile yields: an assumed role (`role_arn` with `source_profile` or
/// `credential_source`, and `external_id`, `role_session_name`, `duration_seconds`), web identity
/// (`role_arn` with `web_identity_token_file`), static keys (`aws_access_key_id`,
/// `aws_secret_access_key`, `aws_session_token`) or `credential_process`. A `source_profile` with
/// static keys signs with them (a profile may name itself); one without, but with a `role_arn`,
/// assumes that role first, so roles chain. What ktape does not implement (SSO, MFA) fails with an
/// error naming the profile and a way out, instead of silently using another source. A profile named
/// by `--profile` or `AWS_PROFILE` that does not exist is an error; a missing `default` is a skip.
public struct ProfileCredentialsSource: CredentialsSource {
    public let name = "shared files"
    private let files: SharedConfigFiles
    private let environment: [String: String]
    private let region: String?
    private let transport: HTTPTransport
    private let clock: CredentialsClock

    public init(
        files: SharedConfigFiles, environment: [String: String], region: String?,
        transport: HTTPTransport, clock: @escaping CredentialsClock
    ) {
        self.files = files
        self.environment = environment
        self.region = region
        self.transport = transport
        self.clock = clock
    }

    public func lookup() async throws -> CredentialsLookup {
        let profileName = files.selectedProfile
        guard files.profile(profileName) != nil else {
            if files.profileWasNamed {
                throw CredentialsError.profileNotFound(profile: profileName, files: files.paths)
            }
            let where_ = files.paths.isEmpty ? "HOME not set" : "not in " + files.paths.joined(separator: " or ")
            return .notConfigured("profile '\(profileName)' \(where_)")
        }
        guard let provider = try provider(for: profileName, chain: []) else {
            return .notConfigured("profile '\(profileName)' has no credentials")
        }
        return .found(try await provider.credentials())
    }

    /// The provider a profile stands for, nil when it holds no credentials at all. `chain` lists the
    /// profiles whose roles led here (empty for the selected one), to refuse loops.
    func provider(for profileName: String, chain: [String]) throws -> (any CredentialsProvider)? {
        guard let profile = files.profile(profileName) else {
            throw CredentialsError.invalidProfile(
                profile: chain.last ?? profileName,
                reason: "source_profile '\(profileName)' is not in "
                    + (files.paths.isEmpty ? "any shared file" : files.paths.joined(separator: " or ")))
        }
        let value = { (key: String) in profile[key].flatMap { $0.isEmpty ? nil : $0 } }
        let staticKeys = try Self.staticCredentials(profile, name: profileName)
        // A source profile with keys signs with them (the AWS CLI's rule, which also lets a profile name itself).
        if !chain.isEmpty, let staticKeys { return StaticCredentialsProvider(staticKeys) }
        if let roleArn = value("role_arn") {
            if let tokenFile = value("web_identity_token_file") {
                return WebIdentityCredentialsSource(
                    name: "web identity of profile '\(profileName)'", tokenFile: expandTilde(tokenFile, home: environment["HOME"]),
                    roleArn: roleArn, sessionName: value("role_session_name"), stsEndpoint: sts.url, transport: transport, clock: clock)
            }
            return try assumeRole(roleArn, profileName: profileName, profile: value, staticKeys: staticKeys, chain: chain)
        }
        if value("web_identity_token_file") != nil {
            throw CredentialsError.invalidProfile(profile: profileName, reason: "web_identity_token_file is set but role_arn is missing")
        }
        if let staticKeys { return StaticCredentialsProvider(staticKeys) }
        if value("sso_session") != nil || value("sso_start_url") != nil {
            throw CredentialsError.invalidProfile(
                profile: profileName,
                reason: "SSO profiles are not supported by ktape; "
                    + "run `aws configure export-credentials --profile \(profileName) --format env` and export the result")
        }
        if let command = value("credential_process") {
            return CredentialProcessSource(profile: profileName, command: command, environment: environment)
        }
        return nil
    }

    private var sts: (url: String, signingRegion: String) {
        ConfiguredEndpoint.sts(environment: environment, files: files, region: region)
    }

    private func assumeRole(
        _ roleArn: String, profileName: String, profile value: (String) -> String?,
        staticKeys: Credentials?, chain: [String]
    ) throws -> any CredentialsProvider {
        if value("mfa_serial") != nil {
            throw CredentialsError.invalidProfile(
                profile: profileName,
                reason: "mfa_serial (an MFA code prompt) is not supported by ktape; "
                    + "run `aws configure export-credentials --profile \(profileName) --format env` and export the result")
        }
        var duration: Int?
        if let text = value("duration_seconds") {
            guard let seconds = Int(text), (900...43_200).contains(seconds) else {
                throw CredentialsError.invalidProfile(profile: profileName, reason: "duration_seconds must be 900 to 43200 (got '\(text)')")
            }
            duration = seconds
        }
        let source: any CredentialsProvider
        switch (value("source_profile"), value("credential_source")) {
        case (_?, _?):
            throw CredentialsError.invalidProfile(
                profile: profileName, reason: "role_arn has both source_profile and credential_source; keep one")
        case (let sourceName?, nil):
            if sourceName == profileName {
                guard let staticKeys else {
                    throw CredentialsError.invalidProfile(
                        profile: profileName, reason: "source_profile names the profile itself, which has no keys")
                }
                source = StaticCredentialsProvider(staticKeys)
            } else {
                let path = chain + [profileName]
                if path.contains(sourceName) {
                    throw CredentialsError.invalidProfile(
                        profile: profileName,
                        reason: "role chain loops: "
                            + (path + [sourceName]).joined(separator: " → "))
                }
                guard let found = try provider(for: sourceName, chain: path) else {
                    throw CredentialsError.invalidProfile(profile: profileName, reason: "source_profile '\(sourceName)' has no credentials")
                }
                source = CachingCredentialsProvider(found, clock: clock)
            }
        case (nil, let named?):
            source = CachingCredentialsProvider(try credentialSource(named, profileName: profileName), clock: clock)
        case (nil, nil):
            throw CredentialsError.invalidProfile(
                profile: profileName,
                reason: "role_arn needs source_profile, credential_source "
                    + "or web_identity_token_file")
        }
        let endpoint = sts
        return AssumeRoleCredentialsProvider(
            profile: profileName, roleArn: roleArn, externalID: value("external_id"),
            sessionName: value("role_session_name"), durationSeconds: duration, source: source,
            stsEndpoint: endpoint.url, signingRegion: endpoint.signingRegion,
            transport: transport, clock: clock)
    }

    /// `credential_source`: where the credentials that assume the role come from.
    private func credentialSource(_ name: String, profileName: String) throws -> any CredentialsProvider {
        switch name {
        case "Environment": return EnvironmentCredentialsSource(environment: environment)
        case "Ec2InstanceMetadata": return InstanceMetadataCredentialsSource(environment: environment, transport: transport)
        case "EcsContainer": return ContainerCredentialsSource(environment: environment, transport: transport)
        default:
            throw CredentialsError.invalidProfile(
                profile: profileName,
                reason: "credential_source must be Environment, "
                    + "Ec2InstanceMetadata or EcsContainer (got '\(name)')")
        }
    }

    /// The profile's static keys; nil when it has none, an error when only half of the pair is there.
    private static func staticCredentials(_ profile: [String: String], name: String) throws -> Credentials? {
        let keyId = profile["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = profile["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
        switch (keyId, secret) {
        case (let keyId?, let secret?):
            let token = profile["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
            return Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token)
        case (_?, nil):
            throw CredentialsError.invalidProfile(profile: name, reason: "aws_access_key_id is set but aws_secret_access_key is missing")
        case (nil, _?):
            throw CredentialsError.invalidProfile(profile: name, reason: "aws_secret_access_key is set but aws_access_key_id is missing")
        case (nil, nil):
            return nil
        }
    }
}
