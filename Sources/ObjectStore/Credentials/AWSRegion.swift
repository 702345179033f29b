/// Where the AWS region came from, so `--print-config` and errors can say it.
public struct ResolvedRegion: Sendable, Equatable {
    public let region: String
    /// "--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile 'name'" or "default".
    public let source: String

    public init(region: String, source: String) {
        self.region = region
        self.source = source
    }
}

/// Region resolution shared by the S3 client and STS.
public enum AWSRegion {
    /// Used when nothing sets a region. S3-compatible stores (MinIO, Ceph) usually accept any
    /// region and AWS's own tools assume this one; for AWS buckets elsewhere, set the region.
    public static let fallback = "us-east-1"

    /// `flag` > `AWS_REGION` > `AWS_DEFAULT_REGION` > the selected profile's `region` in the
    /// config file > `defaultRegion` (`us-east-1` unless the caller passes nil, which makes a
    /// missing region an error). Throws only for an unreadable shared file or no region at all.
    /// `profile` (`--profile`) selects the profile over `AWS_PROFILE`.
    public static func resolve(
        flag: String?, environment: [String: String],
        defaultRegion: String? = AWSRegion.fallback, profile: String? = nil
    ) throws -> ResolvedRegion {
        if let flag, !flag.isEmpty { return ResolvedRegion(region: flag, source: "--region") }
        if let region = environment.nonEmpty("AWS_REGION") { return ResolvedRegion(region: region, source: "AWS_REGION") }
        if let region = environment.nonEmpty("AWS_DEFAULT_REGION") { return ResolvedRegion(region: region, source: "AWS_DEFAULT_REGION") }
        let files = try SharedConfigFiles.load(environment: environment, profile: profile)
        if let region = files.region { return ResolvedRegion(region: region, source: "profile '\(files.selectedProfile)'") }
        if let defaultRegion { return ResolvedRegion(region: defaultRegion, source: "default") }
        throw CredentialsError.noRegion(tried: [
            "--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile '\(files.selectedProfile)' in the config file"
        ])
    }
}
