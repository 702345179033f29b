import Foundation
import KtapeTestSupport

/// What the docs' commands run against, started for one Markdown file so that files run side by side:
///
/// - moto's S3 server (SigV4 checked) holding, empty, every bucket the file's commands name, reached
///   through `AWS_ENDPOINT_URL` and the server's keys;
/// - the source cluster, `$KAFKA` (also `$TEAM_A_KAFKA`), holding `sourceTopics` with
///   `recordsPerTopic` records each;
/// - the target cluster, `$NEW_KAFKA` (also `$TEAM_B_KAFKA`), holding the same topics empty plus the
///   docs' rename targets: librdkafka's mock cluster cannot create topics, so `--create-topics` finds
///   them there;
/// - a scratch directory that looks like a checkout (`fixtures/` and `scripts/` link to the
///   repository's) where the commands run, with `ktape` and `aws` first on `PATH`.
///
/// Servers are started only when the file's commands use them, and off the cooperative pool: their
/// scripts are waited for with blocking reads, and the test process has only two pool threads.
// @unchecked Sendable: set up once, then changed only by the one test task that runs a file's commands.
final class DocWorld: @unchecked Sendable {
    static let sourceTopics = [
        ("orders", 3), ("payments", 3), ("events.orders", 3), ("events.clicks", 2),
        ("source-topic-1", 2), ("source-topic-2", 2)
    ]
    static let renameTargets = [("sink-topic-1", 2), ("sink-topic-2", 2)]
    static let recordsPerTopic = 120

    let directory: URL
    let s3: S3HandoffTests.Server?
    let source: MockKafkaProcess?
    let target: MockKafkaProcess?
    private(set) var environment: [String: String]

    /// Where the commands run.
    var workDirectory: URL { directory.appendingPathComponent("work") }

    static func start(for commands: [DocCommand]) async throws -> DocWorld {
        let world = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try DocWorld(for: commands) }) }.start()
        }
        if let source = world.source {
            for (topic, _) in sourceTopics {
                try await ReliabilityTests.produce(source.bootstrap, topic: topic, count: recordsPerTopic)
            }
        }
        return world
    }

    private init(for commands: [DocCommand]) throws {
        directory = try KtapeProcess.temporaryDirectory()
        let bin = directory.appendingPathComponent("bin")
        for folder in [bin, directory.appendingPathComponent("work")] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let root = KtapeProcess.repositoryRoot
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("ktape"), withDestinationURL: KtapeProcess.binary)
        try FileManager.default.createSymbolicLink(
            atPath: bin.appendingPathComponent("aws").path, withDestinationPath: S3ReliabilityTests.aws)
        for name in ["fixtures", "scripts"] {
            try FileManager.default.createSymbolicLink(
                at: directory.appendingPathComponent("work/\(name)"),
                withDestinationURL: root.appendingPathComponent(name))
        }
        environment = ["PATH": bin.path + ":/usr/bin:/bin", "HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true"]

        let text = commands.map(\.text).joined(separator: "\n")
        let buckets = Self.buckets(in: text)
        s3 = buckets.isEmpty ? nil : try S3HandoffTests.Server(buckets: buckets)
        if let s3 { environment.merge(s3.environment) { _, new in new } }
        if text.contains("KAFKA") {
            let source = try Self.cluster(Self.sourceTopics)
            let target = try Self.cluster(Self.sourceTopics + Self.renameTargets)
            (self.source, self.target) = (source, target)
            for (name, bootstrap) in [
                ("KAFKA", source.bootstrap), ("TEAM_A_KAFKA", source.bootstrap),
                ("NEW_KAFKA", target.bootstrap), ("TEAM_B_KAFKA", target.bootstrap)
            ] {
                environment[name] = bootstrap
            }
        } else {
            (source, target) = (nil, nil)
        }
    }

    func stop() {
        source?.stop()
        target?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Bucket names of the `s3://bucket/…` URLs in `text`.
    static func buckets(in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: #"s3://([a-z0-9][a-z0-9.-]+)"#)
        let names = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
        return Array(Set(names)).sorted()
    }

    private static func cluster(_ topics: [(String, Int)]) throws -> MockKafkaProcess {
        let cluster = try MockKafkaProcess(topic: topics[0].0, partitions: topics[0].1)
        for (name, partitions) in topics.dropFirst() { try cluster.createTopic(name, partitions: partitions) }
        return cluster
    }
}
