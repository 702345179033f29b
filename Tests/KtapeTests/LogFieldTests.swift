import Foundation
import KtapeTestSupport
import ObjectStore
import Testing

/// JSON log lines carry fields; `-v` adds a line per S3 request and librdkafka's debug lines; secrets
/// stay out of all of them.
@Suite("log fields and verbose mode", .serialized)
struct LogFieldTests {
    static func jsonLines(_ run: KtapeRun) throws -> [[String: Any]] {
        try run.stderrLines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    @Test func failureLineCarriesCommandRunIdErrorCodeAndDuration() async throws {
        let server = try await S3TestServer.shared.value
        let run = try KtapeProcess.run(
            ["ls", "--store", "s3://ktape-no-such-bucket", "--log-format", "json"],
            environment: ExitCodeTests.s3(server), unsetting: ExitCodeTests.credentialVariables)
        #expect(run.status == 2)
        let last = try #require(try Self.jsonLines(run).last)
        #expect(last["level"] as? String == "error")
        #expect(last["command"] as? String == "ls")
        #expect(
            (last["run_id"] as? String)?.range(of: #"^\d{8}T\d{6}\.\d{3}Z-ls-[0-9a-f]{8}$"#, options: .regularExpression) != nil, "\(last)")
        #expect(last["error_code"] as? String == "NoSuchBucket")
        #expect(last["duration_ms"] is Int)
    }

    /// A run refused before it started (its settings) still says which command refused, with no run
    /// id: none started. Before, the line had neither.
    @Test func aRefusalLineNamesItsCommand() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try KtapeProcess.run(
            ["backup", "-b", "127.0.0.1:1", "--topics", "orders", "--store", directory.path, "--flush-size", "0", "--log-format", "json"])
        #expect(run.status == 2, "\(run.stderr)")
        let last = try #require(try Self.jsonLines(run).last)
        #expect(last["message"] as? String == "--flush-size: must be at least 1 (got 0)", "\(last)")
        #expect(last["command"] as? String == "backup", "\(last)")
        #expect(last["run_id"] == nil, "\(last)")
    }

    /// A failure about one topic carries it as a field, for alerts that key on it, though no Kafka
    /// error lies behind it (before, only the message named it).
    @Test func aTopicThatDoesNotExistIsTheLinesTopicField() throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 1)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "orders,nosuch", "--store", directory.path, "--log-format", "json"
        ])
        #expect(run.status == 2, "\(run.stderr)")
        let last = try #require(try Self.jsonLines(run).last)
        #expect(last["message"] as? String == "topic nosuch does not exist in the cluster", "\(last)")
        #expect(last["topic"] as? String == "nosuch", "\(last)")
    }

    /// The command line itself refused (ArgumentParser's errors): still one JSON line when it asks
    /// for JSON, in either spelling, naming its command; plain text otherwise.
    @Test(arguments: [["--log-format", "json"], ["--log-format=json"]])
    func aCommandLineRefusalIsAJSONLineWhenAskedFor(format: [String]) throws {
        for arguments in [["verify", "--store", "/nowhere", "--concurrency", "0"], ["verify", "--store", "/nowhere", "--bogus"]] {
            let run = try KtapeProcess.run(arguments + format)
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stderrLines.count == 1, "\(run.stderr)")
            let line = try #require(try Self.jsonLines(run).last)
            #expect(line["level"] as? String == "error", "\(line)")
            #expect((line["message"] as? String)?.contains("see 'ktape --help'") == true, "\(line)")
            #expect(line["command"] as? String == "verify", "\(line)")
        }
        let plain = try KtapeProcess.run(["verify", "--store", "/nowhere", "--bogus"])
        #expect(plain.status == 2)
        #expect(plain.stderr.hasPrefix("ktape: error: Unknown option '--bogus'"), "\(plain.stderr)")
    }

    @Test func verboseLogsEveryS3RequestWithoutSecrets() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let run = try KtapeProcess.run(
            ["ls", "--store", "s3://\(store.config.bucket)", "-v", "--log-format", "json"],
            environment: ExitCodeTests.s3(server), unsetting: ExitCodeTests.credentialVariables)
        #expect(run.status == 0, "\(run.stderr)")
        let requests = try Self.jsonLines(run).filter { $0["method"] != nil }
        #expect(!requests.isEmpty, "no S3 request line: \(run.stderr)")
        for line in requests {
            #expect(line["level"] as? String == "debug")
            #expect(line["method"] as? String == "GET")
            // 404: the store's pruned-state document, absent from a store never pruned.
            #expect([200, 404].contains(line["status"] as? Int ?? 0), "\(line)")
            #expect(line["attempt"] as? Int == 1)
            #expect(line["duration_ms"] is Int)
            #expect(line["command"] as? String == "ls")
        }
        #expect(requests.contains { $0["status"] as? Int == 200 }, "no successful request: \(run.stderr)")
        #expect(!run.stderr.contains(server.credentials.secretAccessKey))
        // Without -v: none of them.
        let quiet = try KtapeProcess.run(
            ["ls", "--store", "s3://\(store.config.bucket)", "--log-format", "json"],
            environment: ExitCodeTests.s3(server), unsetting: ExitCodeTests.credentialVariables)
        #expect(quiet.status == 0)
        #expect(try Self.jsonLines(quiet).allSatisfy { $0["method"] == nil })
    }

    @Test(arguments: [["-X", "debug=broker"], ["-v"]])
    func librdkafkaDebugLinesReachTheLog(flags: [String]) throws {
        let kafka = try KafkaWithRecords(topic: "chatty", partitions: 1, records: 2)
        defer { kafka.stop() }
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let run = try KtapeProcess.run(
            ["backup", "-b", kafka.bootstrap, "--topics", "chatty", "--store", store.path, "--log-format", "json"] + flags)
        #expect(run.status == 0, "\(run.stderr)")
        let kafkaLines = try Self.jsonLines(run).filter { $0["source"] as? String == "librdkafka" }
        #expect(
            kafkaLines.contains { $0["level"] as? String == "debug" && ($0["facility"] as? String)?.isEmpty == false },
            "no librdkafka debug line: \(run.stderr.prefix(2000))")
        #expect(kafkaLines.allSatisfy { $0["command"] as? String == "backup" && $0["run_id"] != nil })
    }

    @Test func kafkaDebugLinesNeverShowThePassword() throws {
        let kafka = try KafkaWithRecords(topic: "secretive", partitions: 1, records: 1)
        defer { kafka.stop() }
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let run = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "secretive", "--store", store.path,
            "-X", "debug=all", "-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanism=PLAIN",
            "-X", "sasl.username=alice", "-X", "sasl.password=hunter2-secret"
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("kafka "), "no librdkafka line at all: \(run.stderr.prefix(500))")
        #expect(!run.stderr.contains("hunter2-secret"))
    }
}
