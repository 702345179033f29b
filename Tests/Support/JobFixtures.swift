import Foundation

/// The repository's `fixtures/jobs/` folder. Every job file there names the command it is for in a
/// `# expect-command: <command>` line; the broken ones, under `broken/`, also give the start of the
/// one-line error they must fail with in `# expect-error: <text>`.
public enum JobFixtures {
    public static let folder = KtapeProcess.repositoryRoot.appendingPathComponent("fixtures/jobs")

    public static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    /// The text after `# <tag>: ` in the file's header, if it has that line.
    public static func header(_ text: String, _ tag: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("# \(tag): ") }.map { String($0.dropFirst("# \(tag): ".count)) }
    }

    /// The job files that are meant to work, e.g. `nightly-snapshot.yaml`.
    public static func sampleNames() throws -> [String] { try yamlFiles(in: folder) }

    /// The broken job files, by name inside `broken/`.
    public static func brokenNames() throws -> [String] { try yamlFiles(in: folder.appendingPathComponent("broken")) }

    private static func yamlFiles(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
    }
}
