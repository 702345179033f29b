import Foundation

/// The repository's `fixtures/jobs/` folder, found from this file's location.
enum JobFixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/jobs")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    /// Broken fixtures: file name → the text after `# <tag>: ` in its header.
    static func header(_ text: String, _ tag: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("# \(tag): ") }.map { String($0.dropFirst("# \(tag): ".count)) }
    }

    static func brokenNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("broken").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }
}
