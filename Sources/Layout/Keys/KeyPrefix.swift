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
        // Most parts have nothing to trim; keys are built from them a million times in a large store.
        if text.isEmpty || text.utf8.withContiguousStorageIfAvailable(isTrimmed) ?? isTrimmed(Array(text.utf8)) { return text }
        return text.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// True when `bytes` neither start nor end with `/` and hold no `//`.
    private static func isTrimmed<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Bool {
        let slash = UInt8(ascii: "/")
        var previous = slash
        for byte in bytes {
            if byte == slash && previous == slash { return false }
            previous = byte
        }
        return previous != slash
    }
}
