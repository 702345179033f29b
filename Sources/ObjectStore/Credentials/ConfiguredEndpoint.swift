/// Endpoints the environment and the shared config file set per service, in the AWS SDKs' order.
public enum ConfiguredEndpoint {
    /// `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the profile's `services` section,
    /// else the profile's `endpoint_url`; nil for none. With `includeGlobal` false the two
    /// service-wide settings are skipped: STS takes only its own, since a global endpoint usually
    /// points at an S3-compatible store that has no STS. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the
    /// profile's `ignore_configured_endpoint_urls`) set to true ignores them all.
    public static func resolve(
        service: String, environment: [String: String], files: SharedConfigFiles,
        includeGlobal: Bool
    ) -> (url: String, source: String)? {
        guard !files.ignoresConfiguredEndpoints else { return nil }
        let variable = "AWS_ENDPOINT_URL_" + service.uppercased()
        if let url = environment.nonEmpty(variable) { return (url, variable) }
        if includeGlobal, let url = environment.nonEmpty("AWS_ENDPOINT_URL") { return (url, "AWS_ENDPOINT_URL") }
        return files.endpointURL(service: service, includeProfileWide: includeGlobal)
    }

    /// STS: the configured endpoint (see `resolve`), else `https://sts.<region>.amazonaws.com`
    /// (`.amazonaws.com.cn` for `cn-` regions), else the global `https://sts.amazonaws.com`.
    /// The signing region is `region`, or `us-east-1` (the global endpoint's) when none is known.
    public static func sts(environment: [String: String], files: SharedConfigFiles?, region: String?) -> (
        url: String, signingRegion: String
    ) {
        let signingRegion = region.flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        if let files, let configured = resolve(service: "sts", environment: environment, files: files, includeGlobal: false) {
            return (configured.url, signingRegion)
        }
        if files == nil, environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true",
            let url = environment.nonEmpty("AWS_ENDPOINT_URL_STS")
        {
            return (url, signingRegion)
        }
        guard let region, !region.isEmpty else { return ("https://sts.amazonaws.com", signingRegion) }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return ("https://sts.\(region).\(suffix)", signingRegion)
    }
}
