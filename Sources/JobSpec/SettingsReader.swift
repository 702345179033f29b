import Foundation
import Layout
import TimeText

/// A validated value and where it came from.
public struct Setting<Value: Sendable>: Sendable {
    public var value: Value
    public var origin: SettingOrigin

    public init(_ value: Value, _ origin: SettingOrigin) {
        self.value = value
        self.origin = origin
    }
}

extension Setting: Equatable where Value: Equatable {}

/// Turns a document's raw entries into typed settings, raising `JobSpecError`s that name the key.
struct SettingsReader {
    let document: JobDocument

    func entry(_ key: JobKey) -> JobEntry? { document[key.rawValue] }

    func error(_ key: JobKey, _ reason: String) -> JobSpecError {
        JobSpecError(location: location(key), reason: reason)
    }

    /// How an error names `key`: from its entry, else the file (for a missing key), else the flag.
    func location(_ key: JobKey) -> String {
        if let entry = entry(key) { return entry.origin.locate(key.rawValue) }
        if let path = document.path { return "\(path): \(key.rawValue)" }
        return SettingOrigin.flag.locate(key.rawValue)
    }

    /// The text of a single-value key; a list or mapping is a type error.
    func text(_ key: JobKey) throws -> Setting<String>? {
        guard let entry = entry(key) else { return nil }
        guard case .scalar(let text) = entry.value else {
            throw error(key, "expected a single value, got \(entry.value.typeName)")
        }
        return Setting(text, entry.origin)
    }

    /// Text that must not be empty.
    func nonEmpty(_ key: JobKey) throws -> Setting<String>? {
        guard let setting = try text(key) else { return nil }
        if setting.value.trimmingCharacters(in: .whitespaces).isEmpty { throw error(key, "is empty") }
        return setting
    }

    func required(_ key: JobKey, _ why: String) throws -> Setting<String> {
        guard let setting = try nonEmpty(key) else { throw error(key, "is required \(why)") }
        return setting
    }

    func map<T: Sendable>(_ key: JobKey, _ transform: (String) throws -> T) throws -> Setting<T>? {
        guard let setting = try text(key) else { return nil }
        return Setting(try transform(setting.value), setting.origin)
    }

    func withDefault<T: Sendable>(_ key: JobKey, _ transform: (String) throws -> T) throws -> Setting<T> {
        if let setting = try map(key, transform) { return setting }
        return Setting(try transform(key.defaultText ?? ""), .default)
    }

    func bool(_ key: JobKey) throws -> Setting<Bool> {
        try withDefault(key) { text in
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw error(key, "expected true or false (got '\(text)')")
            }
        }
    }

    func choice<E: RawRepresentable & CaseIterable>(_ key: JobKey, _: E.Type) throws -> Setting<E>?
    where E.RawValue == String, E: Sendable {
        try map(key) { text in try parseChoice(key, text) }
    }

    func choiceWithDefault<E: RawRepresentable & CaseIterable>(_ key: JobKey, _: E.Type) throws -> Setting<E>
    where E.RawValue == String, E: Sendable {
        try withDefault(key) { text in try parseChoice(key, text) }
    }

    func parseChoice<E: RawRepresentable & CaseIterable>(_ key: JobKey, _ text: String) throws -> E
    where E.RawValue == String {
        if let value = E(rawValue: text) { return value }
        let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
        throw error(key, "must be one of \(allowed) (got '\(text)')")
    }

    func integer(_ key: JobKey, atLeast minimum: Int, atMost maximum: Int = .max) throws -> Setting<Int>? {
        try map(key) { text in try parseInteger(key, text, atLeast: minimum, atMost: maximum) }
    }

    func integerWithDefault(_ key: JobKey, atLeast minimum: Int, atMost maximum: Int = .max) throws -> Setting<Int> {
        try withDefault(key) { text in try parseInteger(key, text, atLeast: minimum, atMost: maximum) }
    }

    func parseInteger(_ key: JobKey, _ text: String, atLeast minimum: Int, atMost maximum: Int = .max) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw error(key, "expected a whole number (got '\(text)')")
        }
        guard value >= minimum else { throw error(key, "must be at least \(minimum) (got \(value))") }
        guard value <= maximum else { throw error(key, "must be at most \(maximum) (got \(value))") }
        return value
    }

    func bytes(_ key: JobKey) throws -> Setting<Int64> {
        try withDefault(key) { text in
            guard let value = ByteCount.parse(text) else {
                throw error(key, "expected bytes as a whole number with an optional unit like 16MiB (got '\(text)')")
            }
            return value
        }
    }

    /// A list given as a YAML list or a comma-separated string; empty items are refused.
    func list(_ key: JobKey) throws -> Setting<[String]>? {
        guard let entry = entry(key) else { return nil }
        let items: [String]
        switch entry.value {
        case .scalar(let text): items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        case .list(let list): items = list
        case .map: throw error(key, "expected a list or a comma-separated string, got a mapping")
        }
        let trimmed = items.map { $0.trimmingCharacters(in: .whitespaces) }
        if trimmed.isEmpty || trimmed.contains(where: \.isEmpty) { throw error(key, "has an empty item") }
        return Setting(trimmed, entry.origin)
    }

    /// Seconds from a number and a unit: `90s`, `45min`, `12h`, `30d`, `2w`.
    func duration(_ key: JobKey) throws -> Setting<TimeInterval>? {
        try map(key) { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
            let unit = trimmed.dropFirst(digits.count)
            // Retention tools (restic among them) read a bare `m` as months: taken as minutes, a
            // `6m` meant as half a year would prune all but the last six minutes.
            if unit == "m" {
                throw error(key, "'\(text)': m could mean minutes or months; write \(digits)min for minutes, or days (30d a month)")
            }
            let units: [Substring: TimeInterval] = ["s": 1, "min": 60, "h": 3600, "d": 86_400, "w": 604_800]
            guard let scale = units[unit], let number = Int(digits), number > 0 else {
                throw error(key, "expected a positive duration like 30d, 12h, 90min or 2w (got '\(text)')")
            }
            // Far longer durations overflowed the cutoff's milliseconds (a trap) or reached back
            // before year 1; nothing ktape keeps is 100 years old.
            guard TimeInterval(number) * scale <= Self.longestDuration else {
                throw error(key, "must be at most 36500d (100 years) (got '\(text)')")
            }
            return TimeInterval(number) * scale
        }
    }

    /// 100 years of 365 days, in seconds: the longest duration taken.
    public static let longestDuration: TimeInterval = 36_500 * 86_400
    /// 9999-12-31T23:59:59.999Z in epoch milliseconds: the latest time RFC 3339 can write.
    public static let latestTime: Int64 = 253_402_300_799_999

    /// Epoch milliseconds from RFC 3339 or an integer of milliseconds.
    func time(_ key: JobKey) throws -> Setting<Int64>? {
        try map(key) { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let millis: Int64?
            if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
                millis = Int64(trimmed)
            } else {
                guard let date = Timestamps.parseRFC3339(trimmed) else {
                    throw error(key, "expected an RFC 3339 time like 2026-11-24T12:00:00Z or epoch milliseconds (got '\(text)')")
                }
                millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
            // Times past year 9999 overflowed later arithmetic (a trap); Kafka has none before 1970.
            guard let millis, (0...Self.latestTime).contains(millis) else {
                throw error(key, "must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (got '\(text)')")
            }
            return millis
        }
    }

    func regex(_ key: JobKey) throws -> Setting<WholeNameRegex>? {
        try map(key) { text in
            do { return try WholeNameRegex(text) } catch let compile as RegexCompileError {
                throw error(key, "regex does not compile: \(compile.reason)")
            }
        }
    }
}
