import Foundation
import Spawn
import KtapeTestSupport
import ObjectStore
import Testing

/// docs/operations.md's contract for schedulers: settings a rerun cannot cure exit 2 with one line
/// saying what to fix, even when the first request finds them; only what a retry can cure exits 1.
@Suite("exit codes a scheduler can act on", .serialized)
struct ExitCodeTests {
    /// Credentials and store settings for a run against the test S3 server, nothing from this process.
    static func s3(_ server: S3TestServer, credentials: Credentials? = nil) -> [String: String] {
        let keys = credentials ?? server.credentials
        return [
            "AWS_ACCESS_KEY_ID": keys.accessKeyId, "AWS_SECRET_ACCESS_KEY": keys.secretAccessKey,
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.endpoint
        ]
    }

    static let credentialVariables = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
    ]

    static func expectConfigurationError(_ run: KtapeRun, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        // Warnings may come first (the mock cluster lacks some APIs); the run ends in one error line.
        let errors = run.stderrLines.filter { $0.hasPrefix("ktape: error: ") }
        #expect(errors.count == 1 && run.stderrLines.last == errors.first, "\(run.stderr)", sourceLocation: sourceLocation)
        for word in words {
            #expect(errors.first?.contains(word) == true, "no '\(word)' in: \(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// With stdout and stderr in one file (`2>&1`, a scheduler's log), the error line comes last,
    /// after every line the run printed on stdout, and splits none of them.
    @Test func theErrorLineEndsOutputSharedWithStdout() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("store/topics/t/partition=0")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("not json\n".utf8).write(to: folder.appendingPathComponent("t+0+0000000000.ktape.json"))
        let log = directory.appendingPathComponent("log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = ChildProcess()
        process.executableURL = KtapeProcess.binary
        process.arguments = ["verify", "--store", directory.appendingPathComponent("store").path]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(process.terminationStatus == 3)
        #expect(lines.last?.hasPrefix("ktape: error: verify: ") == true, "\(lines)")
        #expect(lines.filter { $0.contains("ktape: error") }.count == 1, "\(lines)")
        #expect(lines.contains { $0.contains("t+0+0000000000.ktape.json") && !$0.hasPrefix("ktape: ") }, "\(lines)")
    }

    @Test(arguments: ["ls", "verify"])
    func missingBucketExitsTwo(command: String) async throws {
        let server = try await S3TestServer.shared.value
        let run = try KtapeProcess.run(
            [command, "--store", "s3://ktape-no-such-bucket"], environment: Self.s3(server),
            unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["ktape-no-such-bucket", "does not exist", "check --store"])
    }

    @Test func missingBucketFoundByBackupsFirstRequestExitsTwo() async throws {
        let server = try await S3TestServer.shared.value
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let run = try KtapeProcess.run(
            ["backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", "s3://ktape-no-such-bucket"],
            environment: Self.s3(server), unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["does not exist"])
    }

    @Test func missingBucketFoundByRestoresFirstRequestExitsTwo() async throws {
        let server = try await S3TestServer.shared.value
        let run = try KtapeProcess.run(
            ["restore", "-b", "127.0.0.1:1", "--store", "s3://ktape-no-such-bucket", "--dry-run"],
            environment: Self.s3(server), unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["does not exist"])
    }

    @Test func accessDeniedExitsTwo() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let run = try KtapeProcess.run(
            ["verify", "--store", "s3://\(store.config.bucket)"],
            environment: Self.s3(server, credentials: server.deniedCredentials), unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["access denied", "IAM policy"])
    }

    @Test func wrongSecretExitsTwoWithoutShowingIt() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let wrong = Credentials(accessKeyId: server.credentials.accessKeyId, secretAccessKey: "wrong-secret-0123456789")
        let run = try KtapeProcess.run(
            ["ls", "--store", "s3://\(store.config.bucket)"],
            environment: Self.s3(server, credentials: wrong), unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["signature", "secret key"])
        #expect(!run.stderr.contains("wrong-secret"))
    }

    @Test func unknownAccessKeyExitsTwo() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let unknown = Credentials(accessKeyId: "AKIAKTAPEUNKNOWN0000", secretAccessKey: "whatever-secret")
        let run = try KtapeProcess.run(
            ["ls", "--store", "s3://\(store.config.bucket)"],
            environment: Self.s3(server, credentials: unknown), unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["access key id"])
    }

    @Test func missingCredentialsExitTwoAndAreNotCalledAccessDenied() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let home = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = Self.s3(server)
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        environment["HOME"] = home.path
        environment["AWS_SHARED_CREDENTIALS_FILE"] = home.appendingPathComponent("none").path
        environment["AWS_CONFIG_FILE"] = home.appendingPathComponent("none").path
        let run = try KtapeProcess.run(
            ["verify", "--store", "s3://\(store.config.bucket)"], environment: environment,
            unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["no AWS credentials", "AWS_ACCESS_KEY_ID"])
        #expect(!run.stderr.contains("access denied"))
    }

    @Test func objectLockOnABucketWithoutItExitsTwo() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let kafka = try KafkaWithRecords(topic: "locked", partitions: 1, records: 5)
        defer { kafka.stop() }
        let run = try KtapeProcess.run(
            [
                "backup", "-b", kafka.bootstrap, "--topics", "locked", "--store", "s3://\(store.config.bucket)",
                "--object-lock-mode", "GOVERNANCE", "--object-lock-retain-days", "1"
            ],
            environment: Self.s3(server), unsetting: Self.credentialVariables)
        Self.expectConfigurationError(run, mentioning: ["Object Lock", "object-lock-mode"])
    }

    @Test func unknownTopicExitsTwo() throws {
        let kafka = try KafkaWithRecords(topic: "present", partitions: 1, records: 1)
        defer { kafka.stop() }
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let run = try KtapeProcess.run(["backup", "-b", kafka.bootstrap, "--topics", "absent", "--store", store.path])
        Self.expectConfigurationError(run, mentioning: ["topic absent does not exist"])
    }

    @Test func partitionMismatchExitsTwo() throws {
        let kafka = try KafkaWithRecords(topic: "wide", partitions: 3, records: 6)
        defer { kafka.stop() }
        try kafka.mock.createTopic("narrow", partitions: 1)
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let backup = try KtapeProcess.run(["backup", "-b", kafka.bootstrap, "--topics", "wide", "--store", store.path])
        #expect(backup.status == 0, "\(backup.stderr)")
        let run = try KtapeProcess.run([
            "restore", "-b", kafka.bootstrap, "--store", store.path,
            "--rename-regex", "wide", "--rename-replacement", "narrow"
        ])
        Self.expectConfigurationError(run, mentioning: ["narrow has 1 partitions", "needs at least 3"])
    }

    @Test func kafkaAuthenticationFailureExitsTwoWithoutThePassword() throws {
        let kafka = try KafkaWithRecords(topic: "guarded", partitions: 1, records: 1)
        defer { kafka.stop() }
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let run = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "guarded", "--store", store.path,
            "-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanism=PLAIN",
            "-X", "sasl.username=alice", "-X", "sasl.password=hunter2-secret"
        ])
        Self.expectConfigurationError(run, mentioning: ["cannot reach Kafka"])
        #expect(!run.stderr.contains("hunter2-secret"))
    }

    /// A store path that is not a directory is refused for what it is, not as a missing directory.
    @Test func aStorePathThatIsNotADirectoryIsNamedAsSuch() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("file")
        try Data([1]).write(to: file)
        Self.expectConfigurationError(try KtapeProcess.run(["ls", "--store", file.path]), mentioning: ["\(file.path): not a directory"])
        Self.expectConfigurationError(
            try KtapeProcess.run(["verify", "--store", file.path + "/store"]), mentioning: ["cannot open: Not a directory"])
    }

    /// A directory store path a rerun cannot use (here a regular file) exits 2, as S3's AccessDenied does.
    @Test func aBackupIntoAStorePathThatIsAFileExitsTwo() throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("file")
        try Data([1]).write(to: file)
        for store in [file.path, file.path + "/store"] {
            let run = try KtapeProcess.run(["backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", store])
            Self.expectConfigurationError(run, mentioning: [store, "Not a directory"])
        }
    }

    /// TLS settings librdkafka cannot load stop backup and restore alike with exit 2.
    @Test func kafkaSettingsLibrdkafkaRefusesExitTwoForBackupAndRestore() throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let backup = try KtapeProcess.run(["backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", store.path])
        #expect(backup.status == 0, "\(backup.stderr)")
        for tls in [["ssl.ca.location=/nonexistent/ca.pem"], ["ssl.key.pem=garbage"]] {
            let properties = (["security.protocol=SSL"] + tls).flatMap { ["-X", $0] }
            let commands = [
                ["backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", store.path],
                ["restore", "-b", kafka.bootstrap, "--store", store.path, "--rename-regex", "orders", "--rename-replacement", "copy"]
            ]
            for command in commands {
                let run = try KtapeProcess.run(command + properties)
                Self.expectConfigurationError(run, mentioning: ["create Kafka client", String(tls[0].prefix { $0 != "=" })])
            }
        }
    }

    /// The contrast: a store that does not answer is worth a retry.
    @Test func unreachableStoreExitsOne() throws {
        let run = try KtapeProcess.run(
            ["ls", "--store", "s3://ktape-anywhere"],
            environment: [
                "AWS_ACCESS_KEY_ID": "AKIAKTAPE", "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_REGION": "us-east-1"
            ],
            unsetting: Self.credentialVariables)
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("gave up after"))
    }
}

/// A mock cluster (its own process) with `records` records produced into `topic` by kcat.
struct KafkaWithRecords {
    let mock: MockKafkaProcess
    var bootstrap: String { mock.bootstrap }

    init(topic: String, partitions: Int, records: Int) throws {
        mock = try MockKafkaProcess(topic: topic, partitions: partitions)
        let input = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: input) }
        let file = input.appendingPathComponent("records.txt")
        try (0..<records).map { "key-\($0)\t{\"n\":\($0)}" }.joined(separator: "\n").appending("\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let kcat = ChildProcess()
        kcat.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        kcat.arguments = ["-P", "-b", mock.bootstrap, "-t", topic, "-K", "\t", "-l", file.path]
        try kcat.run()
        kcat.waitUntilExit()
        guard kcat.terminationStatus == 0 else { throw TestSetupError("kcat could not produce into \(topic)") }
    }

    func stop() { mock.stop() }
}
