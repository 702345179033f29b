import Foundation
import TimeText

/// A backup run's id; ids sort by time as plain strings: `20261124T122914.123Z-<shard>-<8 hex>`.
public struct RunID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps an id read back from a manifest or a key; see `isWellFormed`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Builds an id from its start time, a shard label (`0/3`, `group:<id>`, `all`) and a random
    /// 32-bit suffix; the caller supplies both so this stays free of clocks and randomness.
    public init(startedAt date: Date, shard: String, randomSuffix: UInt32) {
        rawValue = "\(Self.compactTimestamp(date))-\(Self.shardToken(shard))-\(Self.hex(randomSuffix))"
    }

    /// Eight lowercase hex digits, the random part of every id ktape makes (runs, prunes, restores).
    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// A shard label as key-safe text: `0/3` → `0of3`, `group:etl` → `group-etl`; any other
    /// character outside `[A-Za-z0-9._-]` becomes `_`.
    public static func shardToken(_ label: String) -> String {
        let replaced = label.replacingOccurrences(of: "/", with: "of").replacingOccurrences(of: ":", with: "-")
        return KeySafe.text(replaced)
    }

    /// `yyyyMMdd'T'HHmmss.SSS'Z'` in UTC, a fixed width so ids sort by time.
    public static func compactTimestamp(_ date: Date) -> String { Timestamps.compact(date) }

    /// True when the id has the timestamp shape that makes string order time order.
    public var isWellFormed: Bool {
        rawValue.range(of: #"^\d{8}T\d{6}\.\d{3}Z-[A-Za-z0-9._-]+-[0-9a-f]{8}$"#, options: .regularExpression) != nil
    }

    /// When the run started, as its id says; nil for an id of another shape.
    public var startedAt: Date? {
        guard isWellFormed else { return nil }
        let t = Array(rawValue.prefix(20))  // yyyyMMddTHHmmss.SSSZ
        return Timestamps.parseRFC3339(
            String(t[0..<4]) + "-" + String(t[4..<6]) + "-" + String(t[6..<8]) + "T" + String(t[9..<11]) + ":"
                + String(t[11..<13]) + ":" + String(t[13..<20]))
    }

    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Makes names (job names, cluster ids) safe as one key segment.
public enum KeySafe {
    /// `text` with every character outside `[A-Za-z0-9._-]` replaced by `_`; empty becomes `_`,
    /// and `.`/`..` get a leading `_` so no segment walks up a folder.
    public static func text(_ text: String) -> String {
        let safe = String(String.UnicodeScalarView(text.unicodeScalars.map { TopicName.isLegal($0) ? $0 : "_" }))
        if safe.isEmpty { return "_" }
        if safe == "." || safe == ".." { return "_" + safe }
        return safe
    }
}
