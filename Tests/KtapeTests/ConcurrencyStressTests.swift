import Foundation
import KtapeTestSupport
import ObjectStore
import Testing

/// `ls`, `verify` and a restore's planning (`--dry-run`) of one store of 2,000 objects and 100 run
/// manifests, several processes at once and round after round, over moto's S3 (libcurl, SigV4 and
/// OpenSSL on many threads) and over a directory. Written for `scripts/test --sanitize=address`, where
/// a heap error ends the run that makes it with an ASan report (issue 19: an `ls` over S3 aborted once
/// in malloc); in a plain run it still checks that every run succeeds and says the same thing.
/// `KTAPE_STRESS_ROUNDS` sets the number of rounds (default 2).
@Suite struct ConcurrencyStressTests {
    static let objects = 2_000
    static let partitions = 20
    static let runs = 100
    static var rounds: Int { ProcessInfo.processInfo.environment["KTAPE_STRESS_ROUNDS"].flatMap(Int.init) ?? 2 }

    /// The store ktape-synthetic-store writes (built beside the ktape binary), on disk and copied to a fresh bucket.
    static func makeStores(server: S3TestServer) async throws -> (directory: URL, bucket: S3Store) {
        let directory = try KtapeProcess.temporaryDirectory()
        let generator = KtapeProcess.binary.deletingLastPathComponent().appendingPathComponent("ktape-synthetic-store")
        let generated = try await KtapeProcess.runAsync(
            [
                "\(directory.path)/store", "--partitions", "\(partitions)", "--runs", "\(runs)",
                "--objects", "\(objects)"
            ], executable: generator)
        try #require(generated.status == 0, "ktape-synthetic-store: \(generated.stderr)")
        let root = directory.appendingPathComponent("store")
        let files =
            FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
        let bucket = try await server.freshStore()
        let prefix = root.path + "/"
        try await forEachConcurrently(
            files.map(\.path), limit: 16,
            { path in
                try await bucket.put(String(path.dropFirst(prefix.count)), body: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            }, collect: { _ in })
        return (root, bucket)
    }

    @Test func listingVerifyAndPlanningManyAtOnce() async throws {
        let server = try await S3TestServer.shared.value
        let (directory, bucket) = try await Self.makeStores(server: server)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let kafka = try MockKafkaProcess(topic: "scale", partitions: Self.partitions)
        // The mock cannot create topics (a dry run with --create-topics says so): the target is made here.
        try kafka.createTopic("scale-copy", partitions: Self.partitions)
        let s3 = "s3://\(bucket.config.bucket)"
        let environment = [
            "AWS_ACCESS_KEY_ID": server.credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": server.credentials.secretAccessKey,
            "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.endpoint, "AWS_PROFILE": ""
        ]
        var commands: [[String]] = []
        for store in [s3, directory.path] {
            commands += [
                ["ls", "--store", store], ["ls", "--store", store, "--json"],
                ["verify", "--store", store, "--concurrency", "64"],
                [
                    "restore", "--store", store, "-b", kafka.bootstrap, "--dry-run", "--rename-regex", "scale",
                    "--rename-replacement", "scale-copy"
                ]
            ]
        }
        var firstOutputs: [[String]: String] = [:]
        for round in 1...Self.rounds {
            let results = try await withThrowingTaskGroup(of: ([String], KtapeRun).self) { group in
                for command in commands {
                    group.addTask { (command, try await KtapeProcess.runAsync(command, environment: environment)) }
                }
                return try await group.reduce(into: [([String], KtapeRun)]()) { $0.append($1) }
            }
            for (command, run) in results {
                #expect(run.status == 0, "round \(round): ktape \(command.joined(separator: " ")) exited \(run.status): \(run.stderr)")
                #expect(!run.stderr.contains("Sanitizer"), "round \(round): \(run.stderr)")
                // The same store says the same thing every time (restore's plan carries a timing line).
                let output = run.stdout.split(separator: "\n").filter { !$0.contains(" s)") && !$0.contains("seconds") }.joined(
                    separator: "\n")
                if let first = firstOutputs[command] {
                    #expect(output == first, "round \(round): ktape \(command.joined(separator: " ")) printed something else")
                } else {
                    firstOutputs[command] = output
                }
            }
        }
        // Both stores are the same store: ls counts every object of it.
        let listed = try #require(firstOutputs[["ls", "--store", s3, "--json"]])
        #expect(listed.contains("\"objects\":\(Self.objects)") || listed.contains("\"objects\" : \(Self.objects)"), "\(listed.prefix(400))")
        let local = try #require(firstOutputs[["ls", "--store", directory.path, "--json"]])
        #expect(
            listed.replacingOccurrences(of: s3, with: "STORE") == local.replacingOccurrences(of: "file://" + directory.path, with: "STORE"))
    }
}
