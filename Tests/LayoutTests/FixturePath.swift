import Foundation

/// Paths into the repository's `fixtures/` folder, found from this file's location.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures")

    /// The text of `fixtures/<relative>`.
    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// Non-comment, non-blank lines of a fixture, split into trimmed ` | ` columns.
    static func rows(_ relative: String) throws -> [[String]] {
        try text(relative).split(separator: "\n")
            .map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.components(separatedBy: " | ").map { $0.trimmingCharacters(in: .whitespaces) } }
    }
}
