import Foundation

/// Kafka's rules for topic names: `[a-zA-Z0-9._-]`, 1…249 characters, never `.` or `..`.
public enum TopicName {
    /// The longest topic name Kafka accepts.
    public static let maxLength = 249

    /// Why `name` is not a legal Kafka topic name, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "topic name is empty" }
        if name == "." || name == ".." { return "topic name cannot be '\(name)'" }
        if name.utf8.count > maxLength {
            return "topic name is \(name.utf8.count) characters, more than \(maxLength)"
        }
        if let bad = name.unicodeScalars.first(where: { !isLegal($0) }) {
            return "topic name has illegal character '\(bad)' (allowed: a-z A-Z 0-9 . _ -)"
        }
        return nil
    }

    /// True when `name` is a legal Kafka topic name.
    public static func isValid(_ name: String) -> Bool { problem(with: name) == nil }

    static func isLegal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}
