import Foundation

/// The shared AWS files, `~/.aws/credentials` and `~/.aws/config`, read once and merged by profile.
///
/// Paths come from `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`, else from `HOME`. A file
/// that does not exist counts as empty; one that exists but cannot be read is an error. In the
/// config file profiles are `[profile name]` (and `[default]`); in the credentials file they are
/// `[name]`. Where both files set a key for the same profile, the credentials file wins, as in the
/// AWS CLI. `[services name]` sections of the config file hold per-service settings that a
/// profile's `services = name` selects (`s3 =` / `  endpoint_url = ...`).
public struct SharedConfigFiles: Sendable {
    /// The selected profile: `profile` (`--profile`), else `AWS_PROFILE`, else `default`.
    public let selectedProfile: String
    /// True when `--profile` or `AWS_PROFILE` named the profile, which makes a missing profile an error.
    public let profileWasNamed: Bool
    /// True when `--profile` named it: then, as in the AWS CLI, environment keys are not used.
    public let profileWasGiven: Bool
    /// The paths looked at, credentials file first (for error messages).
    public let paths: [String]
    private let profiles: [String: [String: String]]
    private let services: [String: [String: String]]
    private let ignoreConfiguredEndpoints: Bool

    /// Reads both files as the environment locates them; `profile` (from `--profile`) overrides `AWS_PROFILE`.
    public static func load(environment: [String: String], profile: String? = nil) throws -> SharedConfigFiles {
        let home = environment.nonEmpty("HOME")
        let credentialsPath =
            environment.nonEmpty("AWS_SHARED_CREDENTIALS_FILE").map { expandTilde($0, home: home) }
            ?? home.map { $0 + "/.aws/credentials" }
        let configPath =
            environment.nonEmpty("AWS_CONFIG_FILE").map { expandTilde($0, home: home) }
            ?? home.map { $0 + "/.aws/config" }

        var profiles: [String: [String: String]] = [:]
        var services: [String: [String: String]] = [:]
        if let configPath, let text = try readIfPresent(configPath) {
            for (title, keys) in ProfileFileParser.parse(text) {
                if let name = servicesSectionName(title) { services[name] = keys }
                guard let name = configProfileName(title) else { continue }
                // `[profile default]` and `[default]` are the same profile; merge, the former winning.
                profiles[name, default: [:]].merge(keys) { old, new in title.hasPrefix("profile") ? new : old }
            }
        }
        if let credentialsPath, let text = try readIfPresent(credentialsPath) {
            for (name, keys) in ProfileFileParser.parse(text) {
                profiles[name, default: [:]].merge(keys) { _, new in new }
            }
        }
        let given = profile.flatMap { $0.isEmpty ? nil : $0 }
        let named = given ?? environment.nonEmpty("AWS_PROFILE")
        let selected = named ?? "default"
        let ignore =
            (environment.nonEmpty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            ?? profiles[selected]?["ignore_configured_endpoint_urls"])?.lowercased() == "true"
        return SharedConfigFiles(
            selectedProfile: selected, profileWasNamed: named != nil, profileWasGiven: given != nil,
            paths: [credentialsPath, configPath].compactMap { $0 }, profiles: profiles,
            services: services, ignoreConfiguredEndpoints: ignore)
    }

    /// The merged keys of a profile, or nil when neither file has it.
    public func profile(_ name: String) -> [String: String]? {
        profiles[name]
    }

    /// The `region` key of the selected profile, if any.
    public var region: String? { setting("region") }

    /// A key of the selected profile (`region`, `s3.addressing_style`), nil when unset or empty.
    public func setting(_ key: String) -> String? {
        profiles[selectedProfile]?[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The endpoint the selected profile configures for `service` (`s3`, `sts`), as the AWS SDKs
    /// read it: its `services` section's `<service>.endpoint_url`, else (with `includeProfileWide`)
    /// the profile's own `endpoint_url`. Nil when `ignore_configured_endpoint_urls` /
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true. The result names where it came from.
    public func endpointURL(service: String, includeProfileWide: Bool) -> (url: String, source: String)? {
        guard !ignoreConfiguredEndpoints else { return nil }
        if let name = setting("services"), let url = services[name]?["\(service).endpoint_url"], !url.isEmpty {
            return (url, "[services \(name)] \(service) endpoint_url")
        }
        if includeProfileWide, let url = setting("endpoint_url") {
            return (url, "profile '\(selectedProfile)' endpoint_url")
        }
        return nil
    }

    /// True when endpoints from the environment and the files are to be ignored.
    public var ignoresConfiguredEndpoints: Bool { ignoreConfiguredEndpoints }

    /// The same files with another profile selected (a `source_profile`).
    func selecting(_ profile: String) -> SharedConfigFiles {
        SharedConfigFiles(
            selectedProfile: profile, profileWasNamed: true, profileWasGiven: profileWasGiven, paths: paths,
            profiles: profiles, services: services, ignoreConfiguredEndpoints: ignoreConfiguredEndpoints)
    }

    private static func servicesSectionName(_ title: String) -> String? {
        let parts = title.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == "services" else { return nil }
        let name = parts[1].trimmingWhitespace()
        return name.isEmpty ? nil : name
    }

    private static func configProfileName(_ title: String) -> String? {
        if title == "default" { return "default" }
        let parts = title.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == "profile" else { return nil }  // sso-session, services, ...
        let name = parts[1].trimmingWhitespace()
        return name.isEmpty ? nil : name
    }

    private static func readIfPresent(_ path: String) throws -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { throw CredentialsError.unreadableFile(path: path, reason: "is a directory") }
        // Read through a handle: String(contentsOfFile:) refuses character devices such as /dev/null,
        // which people use to switch a file off (AWS_CONFIG_FILE=/dev/null).
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CredentialsError.unreadableFile(path: path, reason: "cannot be opened")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.readToEnd() ?? Data() } catch {
            throw CredentialsError.unreadableFile(path: path, reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CredentialsError.unreadableFile(path: path, reason: "not readable as UTF-8 text")
        }
        return text
    }
}

/// `~/x` to `$HOME/x`, as the AWS tools do for paths in variables and profiles.
func expandTilde(_ path: String, home: String?) -> String {
    guard let home, path == "~" || path.hasPrefix("~/") else { return path }
    return home + path.dropFirst()
}
