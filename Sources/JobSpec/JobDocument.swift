import Foundation
import Layout

/// Where a setting's value came from; flags override a job file, which overrides defaults.
public enum SettingOrigin: Hashable, Sendable, CustomStringConvertible {
    /// A job file, with the 1-based line of the key.
    case file(path: String, line: Int)
    /// A command-line flag.
    case flag
    /// ktape's default.
    case `default`

    public var description: String {
        switch self {
        case .file(let path, let line): return "\(path):\(line)"
        case .flag: return "flag"
        case .default: return "default"
        }
    }

    /// How an error names `key` from this origin: `nightly.yaml:7: flush-size`, `--part-size`, `-X`.
    public func locate(_ key: String) -> String {
        switch self {
        case .file(let path, let line): return "\(path):\(line): \(key)"
        case .flag: return key == JobKey.kafkaProperty.rawValue ? "-X" : "--\(key)"
        case .default: return "\(key) (default)"
        }
    }
}

/// A raw value as written, before validation: YAML scalars and flag arguments are text.
public enum JobRawValue: Equatable, Sendable {
    case scalar(String)
    case list([String])
    case map([String: String])

    var typeName: String {
        switch self {
        case .scalar: return "a single value"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }
}

/// One key as written, with its origin.
public struct JobEntry: Equatable, Sendable {
    public var key: String
    public var value: JobRawValue
    public var origin: SettingOrigin

    public init(key: String, value: JobRawValue, origin: SettingOrigin) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

/// The neutral form of a job's settings (a YAML file or flags): key → raw value, with origins.
/// `JobSpec` validates it.
public struct JobDocument: Equatable, Sendable {
    /// The job file's path, or nil for flags only; names the file when a required key is missing.
    public var path: String?
    public private(set) var entries: [String: JobEntry] = [:]

    public init(path: String? = nil, entries: [JobEntry] = []) {
        self.path = path
        for entry in entries { set(entry) }
    }

    /// Flags as a document: `flags` maps key names (without `--`) to values; `-X` pairs go under `X`.
    public static func flags(_ flags: [String: JobRawValue]) -> JobDocument {
        JobDocument(entries: flags.map { JobEntry(key: $0.key, value: $0.value, origin: .flag) })
    }

    public subscript(key: String) -> JobEntry? { entries[key] }

    /// Sets or replaces a key.
    public mutating func set(_ entry: JobEntry) { entries[entry.key] = entry }

    /// Sets a key from a flag.
    public mutating func setFlag(_ key: String, _ value: JobRawValue) {
        set(JobEntry(key: key, value: value, origin: .flag))
    }

    /// This document with `overrides` laid over it (flags over a file). `X` maps merge key by key.
    public func merging(_ overrides: JobDocument) -> JobDocument {
        var merged = self
        for (key, entry) in overrides.entries {
            if key == JobKey.kafkaProperty.rawValue, case .map(let base)? = entries[key]?.value,
                case .map(let over) = entry.value
            {
                merged.set(JobEntry(key: key, value: .map(base.merging(over) { _, new in new }), origin: entry.origin))
            } else {
                merged.set(entry)
            }
        }
        return merged
    }
}
