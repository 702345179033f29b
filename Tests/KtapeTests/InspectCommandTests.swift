import Foundation
import Spawn
import KtapeTestSupport
import Testing

/// `ktape ls` and `ktape verify` run through the binary against a store written on disk the way a
/// backup leaves it (envelope objects and one run manifest), copied and damaged the way a bucket
/// handoff can go wrong.
@Suite("ktape ls and verify through the binary")
struct InspectCommandTests {
    static let runId = "20261124T120000.000Z-all-0000abcd"
    static let objects: [(key: String, topic: String, partition: Int, offsets: [Int])] = [
        ("topics/orders/partition=0/orders+0+0000000000.ktape.json", "orders", 0, [0, 1]),
        ("topics/orders/partition=0/orders+0+0000000002.ktape.json", "orders", 0, [2]),
        ("topics/orders/partition=1/orders+1+0000000000.ktape.json", "orders", 1, [0])
    ]

    static func line(_ offset: Int) -> String {
        "{\"ktape\":1,\"offset\":\(offset),\"timestamp\":\(1_700_000_000_000 + offset),\"timestampType\":\"CreateTime\",\"key\":\"k\(offset)\",\"value\":\"value \(offset)\"}\n"
    }

    /// SHA-256 by coreutils, so this test target needs no ktape module.
    static func sha256(_ file: URL) throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: output, as: UTF8.self).prefix(64))
    }

    /// A fresh store directory: three objects over orders/0 (offsets 0…2) and orders/1 (offset 0), one manifest.
    /// `keyPrefix` is the bucket prefix the manifest's keys carry (`prod/` for a store synced to `s3://b/prod`).
    static func makeStore(keyPrefix: String = "") throws -> URL {
        let root = try KtapeProcess.temporaryDirectory()
        var manifestObjects: [[String: Any]] = []
        for object in objects {
            let url = root.appendingPathComponent(object.key)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let body = Data(object.offsets.map(line).joined().utf8)
            try body.write(to: url)
            manifestObjects.append([
                "key": keyPrefix + object.key, "topic": object.topic, "partition": object.partition,
                "firstOffset": object.offsets[0], "lastOffset": object.offsets.last ?? 0,
                "spanStart": object.offsets[0], "spanEnd": (object.offsets.last ?? 0) + 1,
                "recordCount": object.offsets.count, "byteSize": body.count, "sha256": try sha256(url), "companionKeys": [String]()
            ])
        }
        let manifest: [String: Any] = [
            "format": "ktape-manifest", "version": 1, "runId": runId, "job": "nightly", "shard": "all",
            "startedAt": "2026-11-24T12:00:00.000Z", "finishedAt": "2026-11-24T12:00:05.000Z",
            "store": ["topicsDir": "topics", "format": "envelope", "compression": "none"], "configHash": "abc",
            "topics": [
                [
                    "name": "orders", "partitionCount": 2, "configs": [String: String](), "cleanupPolicy": "delete",
                    "timestampType": "CreateTime"
                ]
            ],
            "partitions": [
                ["topic": "orders", "partition": 0, "startOffset": 0, "endOffset": 3, "endOffsetAtStart": 3, "gaps": [Any]()],
                ["topic": "orders", "partition": 1, "startOffset": 0, "endOffset": 1, "endOffsetAtStart": 1, "gaps": [Any]()]
            ],
            "objects": manifestObjects, "consumerGroupOffsets": [Any]()
        ]
        let runs = root.appendingPathComponent("_ktape/runs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
            .write(to: runs.appendingPathComponent("\(runId).json"))
        return root
    }

    /// The store after `aws s3 sync`: a directory copy.
    static func copy(_ store: URL) throws -> URL {
        let target = try KtapeProcess.temporaryDirectory()
        try FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: store, to: target)
        return target
    }

    func withCopy(_ body: (URL) throws -> Void) throws {
        let store = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: store) }
        let copy = try Self.copy(store)
        defer { try? FileManager.default.removeItem(at: copy) }
        try body(copy)
    }

    @Test func cleanCopyVerifiesWithExitZero() throws {
        try withCopy { copy in
            let run = try KtapeProcess.run(["verify", "--store", copy.path])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("verify: 1 run, 3 objects (+0 companions)"))
            #expect(run.stdout.contains("4 records checked: no problems"))
            #expect(!run.stdout.contains("problem:"))
        }
    }

    @Test func changedByteExitsThreeNamingTheObject() throws {
        try withCopy { copy in
            let key = Self.objects[2].key
            let url = copy.appendingPathComponent(key)
            var bytes = Array(try Data(contentsOf: url))
            let index = try #require(bytes.lastIndex(of: UInt8(ascii: "v")))
            bytes[index] = UInt8(ascii: "V")
            try Data(bytes).write(to: url)
            let run = try KtapeProcess.run(["verify", "--store", copy.path])
            #expect(run.status == 3)
            let problems = run.stdout.split(separator: "\n").filter { $0.hasPrefix("problem: ") }
            #expect(problems.count == 1)
            #expect(problems.first?.hasPrefix("problem: \(key): SHA-256") == true)
            #expect(run.stderrLines == ["ktape: error: verify: 1 problem in file://\(copy.path)"])
        }
    }

    @Test func deletedObjectExitsThree() throws {
        try withCopy { copy in
            let key = Self.objects[0].key
            try FileManager.default.removeItem(at: copy.appendingPathComponent(key))
            let run = try KtapeProcess.run(["verify", "--store", "file://" + copy.path])
            #expect(run.status == 3)
            let problems = run.stdout.split(separator: "\n").filter { $0.hasPrefix("problem: ") }
            #expect(problems.count == 1)
            #expect(problems.first?.hasPrefix("problem: \(key): is missing (named by run \(Self.runId)): offsets ") == true, "\(problems)")
        }
    }

    @Test func strayObjectWarnsAndFailsOnlyWhenStrict() throws {
        try withCopy { copy in
            let stray = "topics/orders/partition=1/orders+1+0000000001.ktape.json"
            try Data(Self.line(1).utf8).write(to: copy.appendingPathComponent(stray))
            let run = try KtapeProcess.run(["verify", "--store", copy.path])
            #expect(run.status == 0)
            #expect(run.stdout.contains("warning: \(stray): no manifest names this object"))
            let strict = try KtapeProcess.run(["verify", "--store", copy.path, "--strict"])
            #expect(strict.status == 3)
            #expect(strict.stdout.contains("problem: \(stray): no manifest names this object"))
            let ls = try KtapeProcess.run(["ls", "--store", copy.path])
            #expect(ls.status == 0)
            #expect(ls.stdout.contains("objects no manifest names (1"))
        }
    }

    @Test func lsPrintsATable() throws {
        try withCopy { copy in
            let run = try KtapeProcess.run(["ls", "--store", copy.path])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("TOPIC") && $0.contains("OFFSETS") && $0.contains("RECORDS") })
            #expect(
                lines.contains { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(5) == ["orders", "0", "[0,", "3)", "2"] })
            #expect(
                lines.contains { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(5) == ["orders", "1", "[0,", "1)", "1"] })
            #expect(lines.contains { $0.hasPrefix("total: 1 topic, 2 partitions, 3 objects,") && $0.hasSuffix(", 4 records") })
            #expect(lines.contains { $0.hasPrefix(Self.runId) && $0.contains("nightly") == false && $0.contains(" 3 ") })
        }
    }

    @Test func lsJSONIsOneDocument() throws {
        try withCopy { copy in
            let run = try KtapeProcess.run(["ls", "--store", copy.path, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(document["source"] as? String == "manifests")
            let totals = try #require(document["totals"] as? [String: Any])
            #expect(totals["objects"] as? Int == 3)
            #expect(totals["records"] as? Int == 4)
            let topics = try #require(document["topics"] as? [[String: Any]])
            #expect(topics.map { $0["name"] as? String } == ["orders"])
            let partitions = try #require(topics.first?["partitions"] as? [[String: Any]])
            #expect(partitions.map { $0["endOffset"] as? Int } == [3, 1])
            let runs = try #require(document["runs"] as? [[String: Any]])
            #expect(runs.map { $0["runId"] as? String } == [Self.runId])
            #expect(runs.first?["job"] as? String == "nightly")
        }
    }

    @Test func unreadableManifestIsInvalidInputForLsAndAProblemForVerify() throws {
        try withCopy { copy in
            let manifest = "_ktape/runs/\(Self.runId).json"
            try Data("{\"format\":\"something-else\",\"version\":1}".utf8).write(to: copy.appendingPathComponent(manifest))
            let ls = try KtapeProcess.run(["ls", "--store", copy.path])
            #expect(ls.status == 2)
            #expect(ls.stderrLines.count == 1)
            #expect(ls.stderr.contains(manifest))
            let verify = try KtapeProcess.run(["verify", "--store", copy.path])
            #expect(verify.status == 3)
            #expect(verify.stdout.contains("problem: \(manifest): unreadable manifest: format is 'something-else'"))
        }
    }

    @Test func emptyStoreListsAndFailsVerify() throws {
        let empty = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let ls = try KtapeProcess.run(["ls", "--store", empty.path])
        #expect(ls.status == 0)
        #expect(ls.stdout.contains("nothing is stored here"))
        let verify = try KtapeProcess.run(["verify", "--store", empty.path])
        #expect(verify.status == 3)
        #expect(verify.stdout.contains("nothing to verify"))
    }

    @Test func missingDirectoryIsInvalidInput() throws {
        let missing = "/tmp/ktape-no-such-store-\(UUID().uuidString)"
        for command in ["ls", "verify"] {
            let run = try KtapeProcess.run([command, "--store", missing])
            #expect(run.status == 2)
            #expect(run.stderrLines == ["ktape: error: store \(missing): no such directory"])
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
    }

    /// A store the real backup engine wrote (the demo's): ls counts what the demo backed up, verify
    /// passes on a copy, and a truncated object in the copy fails it.
    @Test func storeWrittenByBackupVerifies() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try KtapeProcess.run(["demo", "--records", "200"], in: directory)
        try #require(demo.status == 0, "demo failed: \(demo.stderr)")
        let copy = try Self.copy(directory.appendingPathComponent("ktape-demo"))
        defer { try? FileManager.default.removeItem(at: copy) }

        let ls = try KtapeProcess.run(["ls", "--store", copy.path, "--json"])
        #expect(ls.status == 0, "\(ls.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(ls.stdout.utf8)) as? [String: Any])
        #expect((document["totals"] as? [String: Any])?["records"] as? Int == 400)
        #expect((document["runs"] as? [Any])?.count == 1)

        let clean = try KtapeProcess.run(["verify", "--store", copy.path])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("400 records checked: no problems"))

        let partition = copy.appendingPathComponent("topics/demo.orders/partition=0")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: partition.path).sorted().first)
        let url = partition.appendingPathComponent(name)
        try Data(try Data(contentsOf: url).dropLast(7)).write(to: url)
        let damaged = try KtapeProcess.run(["verify", "--store", copy.path])
        #expect(damaged.status == 3)
        let problems = damaged.stdout.split(separator: "\n").filter { $0.hasPrefix("problem: ") }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("problem: topics/demo.orders/partition=0/\(name): is ") == true)
    }
}

/// The handoff as users run it, on loopback: a store synced into bucket A with the AWS CLI, A synced
/// to B (`aws s3 sync`, as into another account), then `ktape verify` and `ktape ls` on B through
/// moto's S3 server with signature checking (`scripts/s3-server`).
@Suite("cross-account handoff through S3")
struct S3HandoffTests {
    /// moto's S3 server, stopped when the test ends.
    final class Server {
        let process = ChildProcess()
        var exports: [String: String] = [:]

        init(buckets: [String] = ["team-a", "team-b"]) throws {
            process.executableURL = KtapeProcess.repositoryRoot.appendingPathComponent("scripts/s3-server")
            process.arguments = buckets.flatMap { ["--bucket", $0] } + ["--log", NSTemporaryDirectory() + "ktape-inspect-moto.log"]
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            var text = ""
            while !text.contains("# ready") {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { throw ServerError(description: "scripts/s3-server stopped before it was ready: \(text)") }
                text += String(decoding: data, as: UTF8.self)
            }
            for line in text.split(separator: "\n") where line.hasPrefix("export ") {
                let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { exports[pair[0]] = pair[1] }
            }
        }

        /// SIGTERM without waiting: the server stops moto on its way out, and both also stop when
        /// this process exits (they watch their parent).
        deinit { process.terminate() }

        var endpoint: String { exports["AWS_ENDPOINT_URL"] ?? "" }

        /// Only loopback and these keys: no profile, no metadata service.
        var environment: [String: String] {
            [
                "AWS_ACCESS_KEY_ID": exports["AWS_ACCESS_KEY_ID"] ?? "", "AWS_SECRET_ACCESS_KEY": exports["AWS_SECRET_ACCESS_KEY"] ?? "",
                "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent/aws-config",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"
            ]
        }

        /// Runs the virtualenv's AWS CLI against the server (under `timeout`, so nothing can hang the suite).
        func aws(_ arguments: [String]) throws -> Int32 {
            let cli = ChildProcess()
            cli.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            cli.arguments =
                ["120", KtapeProcess.repositoryRoot.appendingPathComponent(".venv/bin/aws").path]
                + arguments + ["--endpoint-url", endpoint, "--only-show-errors"]
            cli.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            cli.standardInput = FileHandle.nullDevice
            cli.standardOutput = FileHandle.nullDevice
            cli.standardError = FileHandle.nullDevice
            try cli.run()
            cli.waitUntilExit()
            return cli.terminationStatus
        }

        /// Runs ktape against the server, under `timeout` as well, output captured in files.
        func ktape(_ arguments: [String]) throws -> KtapeRun {
            let scratch = try KtapeProcess.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let out = scratch.appendingPathComponent("stdout")
            let err = scratch.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let run = ChildProcess()
            run.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            run.arguments = ["120", KtapeProcess.binary.path] + arguments + ["--endpoint-url", endpoint]
            run.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            run.standardInput = FileHandle.nullDevice
            run.standardOutput = try FileHandle(forWritingTo: out)
            run.standardError = try FileHandle(forWritingTo: err)
            try run.run()
            run.waitUntilExit()
            return KtapeRun(
                status: run.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                stderr: try String(contentsOf: err, encoding: .utf8))
        }
    }

    struct ServerError: Error, CustomStringConvertible { var description: String }

    @Test func syncedBucketVerifiesAndDamageIsFound() throws {
        let cli = KtapeProcess.repositoryRoot.appendingPathComponent(".venv/bin/aws").path
        try #require(FileManager.default.isExecutableFile(atPath: cli), "the AWS CLI is missing: run scripts/setup")
        let server = try Server()
        let store = try InspectCommandTests.makeStore(keyPrefix: "prod/")
        defer { try? FileManager.default.removeItem(at: store) }
        #expect(try server.aws(["s3", "sync", store.path, "s3://team-a/prod"]) == 0)
        #expect(try server.aws(["s3", "sync", "s3://team-a/prod", "s3://team-b/prod"]) == 0)

        let clean = try server.ktape(["verify", "--store", "s3://team-b/prod"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("verify: 1 run, 3 objects (+0 companions)"))
        #expect(clean.stdout.contains("4 records checked: no problems"))

        let ls = try server.ktape(["ls", "--json", "--store", "s3://team-b/prod"])
        #expect(ls.status == 0, "\(ls.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(ls.stdout.utf8)) as? [String: Any])
        #expect(document["prefix"] as? String == "prod")
        #expect((document["totals"] as? [String: Any])?["records"] as? Int == 4)

        let victim = InspectCommandTests.objects[1].key
        #expect(try server.aws(["s3", "rm", "s3://team-b/prod/\(victim)"]) == 0)
        let damaged = try server.ktape(["verify", "--store", "s3://team-b/prod"])
        #expect(damaged.status == 3)
        let problems = damaged.stdout.split(separator: "\n").filter { $0.hasPrefix("problem: ") }
        #expect(problems.count == 1)
        #expect(
            problems.first?.hasPrefix("problem: prod/\(victim): is missing (named by run \(InspectCommandTests.runId)): offsets ") == true,
            "\(problems)")
    }
}
