import Foundation

/// The shared AWS files, `~/.aws/credentials` and `~/.aws/config`, read once and merged by profile.
///
/// Paths come from `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`, else from `HOME`. A file
/// that does not exist counts as empty; one that exists but cannot be read is an error. In the
/// config file profiles are `[profile name]` (and `[default]`); in the credentials file they are
/// `[name]`. Where both files set a key for the same profile, the credentials file wins, as in the
/// AWS CLI.
public struct SharedConfigFiles: Sendable {
    /// The profile the environment selects: `AWS_PROFILE`, else `default`.
    public let selectedProfile: String
    /// True when `AWS_PROFILE` named the profile, which makes a missing profile an error.
    public let profileWasNamed: Bool
    /// The paths looked at, credentials file first (for error messages).
    public let paths: [String]
    private let profiles: [String: [String: String]]

    /// Reads both files as the environment locates them.
    public static func load(environment: [String: String]) throws -> SharedConfigFiles {
        let home = environment.nonEmpty("HOME")
        let credentialsPath = environment.nonEmpty("AWS_SHARED_CREDENTIALS_FILE").map { expandTilde($0, home: home) }
            ?? home.map { $0 + "/.aws/credentials" }
        let configPath = environment.nonEmpty("AWS_CONFIG_FILE").map { expandTilde($0, home: home) }
            ?? home.map { $0 + "/.aws/config" }

        var profiles: [String: [String: String]] = [:]
        if let configPath, let text = try readIfPresent(configPath) {
            for (title, keys) in ProfileFileParser.parse(text) {
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
        let named = environment.nonEmpty("AWS_PROFILE")
        return SharedConfigFiles(selectedProfile: named ?? "default", profileWasNamed: named != nil,
                                 paths: [credentialsPath, configPath].compactMap { $0 }, profiles: profiles)
    }

    /// The merged keys of a profile, or nil when neither file has it.
    public func profile(_ name: String) -> [String: String]? {
        profiles[name]
    }

    /// The `region` key of the selected profile, if any.
    public var region: String? {
        profiles[selectedProfile]?["region"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func configProfileName(_ title: String) -> String? {
        if title == "default" { return "default" }
        let parts = title.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == "profile" else { return nil } // sso-session, services, ...
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
