/// Why no credentials could be had. Descriptions name the variable, file, profile or endpoint at
/// fault and never a secret value (key ids are not secret, but are left out too).
public enum CredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every step of the chain was skipped; each entry is "step: reason".
    case notFound(tried: [String])
    /// An environment variable that must accompany another one is missing or empty.
    case missingVariable(name: String, neededBy: String)
    /// An environment variable is set to something unusable.
    case invalidVariable(name: String, reason: String)
    /// A profile named by AWS_PROFILE (or a source_profile) exists in neither shared file.
    case profileNotFound(profile: String, files: [String])
    /// A profile exists but yields no credentials: its keys are incomplete, it uses a feature ktape
    /// does not implement, or its role, source profile or credential_process failed.
    case invalidProfile(profile: String, reason: String)
    /// A file the configuration points at cannot be read (token file, shared file).
    case unreadableFile(path: String, reason: String)
    /// A credentials endpoint answered, but not with usable credentials.
    case badResponse(source: String, url: String, reason: String)
    /// A configured endpoint could not be reached or is not allowed.
    case endpointFailed(source: String, url: String, reason: String)
    /// No region in flags, environment or profile (only when the caller asked for no default).
    case noRegion(tried: [String])

    public var description: String {
        switch self {
        case .notFound(let tried):
            return "no AWS credentials found; tried: " + tried.joined(separator: "; ")
        case .missingVariable(let name, let neededBy):
            return "\(name) is not set, but \(neededBy) is; set both or neither"
        case .invalidVariable(let name, let reason):
            return "\(name): \(reason)"
        case .profileNotFound(let profile, let files):
            return "AWS profile '\(profile)' not found in "
                + (files.isEmpty ? "any shared file (HOME not set)" : files.joined(separator: " or "))
        case .invalidProfile(let profile, let reason):
            return "AWS profile '\(profile)': \(reason)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .badResponse(let source, let url, let reason):
            return "\(source) at \(URLRedaction.redacted(url)): \(reason)"
        case .endpointFailed(let source, let url, let reason):
            return "\(source) at \(URLRedaction.redacted(url)) failed: \(reason)"
        case .noRegion(let tried):
            return "no AWS region set; tried: " + tried.joined(separator: ", ") + " (pass --region)"
        }
    }
}
