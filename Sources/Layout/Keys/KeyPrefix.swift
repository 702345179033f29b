import Foundation

/// Joins key parts with single slashes: an empty prefix means the bucket root and no part gets a
/// doubled or leading `/`.
public enum KeyParts {
    /// `parts` joined by `/`, each stripped of leading and trailing slashes, empty parts dropped.
    public static func join(_ parts: String...) -> String { join(parts) }

    /// `parts` joined by `/`, each stripped of leading and trailing slashes, empty parts dropped.
    public static func join(_ parts: [String]) -> String {
        parts.map(trimSlashes).filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// `text` without leading or trailing `/`; inner doubled slashes collapse too.
    public static func trimSlashes(_ text: String) -> String {
        text.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
