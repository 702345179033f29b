import Foundation
import SigV4

/// Asks each source in turn and returns the first credentials found.
///
/// A source that is not configured is skipped and its reason kept; a source that is configured
/// but fails stops the chain with its own error. When every source is skipped the error lists
/// each one with its reason (never a secret).
public struct CredentialsChain: CredentialsProvider {
    public let sources: [CredentialsSource]

    public init(_ sources: [CredentialsSource]) {
        self.sources = sources
    }

    public func credentials() async throws -> Credentials {
        var tried: [String] = []
        for source in sources {
            switch try await source.lookup() {
            case .found(let credentials): return credentials
            case .notConfigured(let reason): tried.append("\(source.name) (\(reason))")
            }
        }
        throw CredentialsError.notFound(tried: tried)
    }

    /// The AWS SDKs' default order:
    /// 1. environment keys (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`);
    /// 2. web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` through STS;
    /// 3. the shared files' selected profile (an assumed role, web identity, keys or `credential_process`);
    /// 4. container credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`);
    /// 5. EC2 instance metadata (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
    ///
    /// The shared files are read here, once; an unreadable file throws. `region` picks the regional
    /// STS endpoint; pass the resolved region (see `AWSRegion.resolve`). `profile` (`--profile`)
    /// selects the profile over `AWS_PROFILE` and, as in the AWS CLI, leaves environment keys unused.
    public static func standard(
        environment: [String: String], region: String?, transport: HTTPTransport,
        clock: @escaping CredentialsClock = { Date() }, profile: String? = nil
    ) throws -> CredentialsChain {
        let files = try SharedConfigFiles.load(environment: environment, profile: profile)
        let first: CredentialsSource =
            files.profileWasGiven
            ? SkippedCredentialsSource(name: "environment", reason: "not used with --profile")
            : EnvironmentCredentialsSource(environment: environment)
        return CredentialsChain([
            first,
            WebIdentityCredentialsSource(environment: environment, files: files, region: region, transport: transport, clock: clock),
            ProfileCredentialsSource(files: files, environment: environment, region: region, transport: transport, clock: clock),
            ContainerCredentialsSource(environment: environment, transport: transport),
            InstanceMetadataCredentialsSource(environment: environment, transport: transport)
        ])
    }

    /// The standard chain behind a cache that refreshes five minutes before expiry: what the S3
    /// client should use. Pass `ProcessInfo.processInfo.environment` outside tests.
    public static func defaultProvider(
        environment: [String: String], region: String?, transport: HTTPTransport,
        clock: @escaping CredentialsClock = { Date() }, profile: String? = nil
    ) throws -> CachingCredentialsProvider {
        CachingCredentialsProvider(
            try standard(
                environment: environment, region: region, transport: transport, clock: clock,
                profile: profile), clock: clock)
    }
}

/// A step left out on purpose, kept in the chain so the "tried" list says why.
struct SkippedCredentialsSource: CredentialsSource {
    let name: String
    let reason: String
    func lookup() async throws -> CredentialsLookup { .notConfigured(reason) }
}
