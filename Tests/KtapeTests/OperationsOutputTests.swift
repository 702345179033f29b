import Foundation
import Spawn
import KtapeTestSupport
import Testing

@Suite("logs and metrics for schedulers")
struct OperationsOutputTests {
    @Test func failedRunWritesJSONErrorLineAndFailureMetrics() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let metrics = directory.appendingPathComponent("ktape.prom")
        try "ktape_restore_success{job=\"ktape\"} 1\n".write(to: metrics, atomically: true, encoding: .utf8)

        let run = try KtapeProcess.run([
            "restore", "-b", "127.0.0.1:1", "--store", store.path,
            "--log-format", "json", "--metrics-file", metrics.path
        ])
        #expect(run.status != 0)
        let lines = run.stderrLines
        #expect(lines.count >= 1)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil, "not a JSON log line: \(line)")
        }
        let last = try #require(lines.last)
        #expect(last.contains("\"level\":\"error\""))

        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(
            text.contains("ktape_restore_success{command=\"restore\",ktape_job=\"ktape\",store=\"\(store.path)\"} 0"),
            "a stale success must be replaced: \(text)")
        try MetricsTests.promtoolAccepts(metrics)
        #expect(text.contains("# TYPE ktape_restore_duration_seconds gauge"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".ktape.prom.tmp").path))
    }

    @Test func successfulBackupWritesItsMetrics() throws {
        let mock = try MockKafkaProcess(topic: "metered", partitions: 2)
        defer { mock.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("records.txt")
        try (0..<10).map { "key-\($0)\t{\"n\":\($0)}" }.joined(separator: "\n").appending("\n")
            .write(to: input, atomically: true, encoding: .utf8)
        let kcat = ChildProcess()
        kcat.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        kcat.arguments = ["-P", "-b", mock.bootstrap, "-t", "metered", "-K", "\t", "-l", input.path]
        try kcat.run()
        kcat.waitUntilExit()
        #expect(kcat.terminationStatus == 0)

        let metrics = directory.appendingPathComponent("backup.prom")
        let store = directory.appendingPathComponent("store").path
        let run = try KtapeProcess.run([
            "backup", "-b", mock.bootstrap, "--topics", "metered",
            "--store", store,
            "--metrics-file", metrics.path, "--log-format", "json"
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOf: metrics, encoding: .utf8)
        let labels = "{command=\"backup\",ktape_job=\"ktape\",store=\"\(store)\",shard=\"all\"}"
        #expect(text.contains("ktape_backup_success\(labels) 1"), "\(text)")
        #expect(text.contains("ktape_backup_records\(labels) 10"))
        #expect(text.contains("ktape_backup_lag_records_at_start\(labels) 10"))
        #expect(text.contains("ktape_backup_objects\(labels) 2"))
        try MetricsTests.promtoolAccepts(metrics)
        for line in run.stderrLines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not a JSON log line: \(line)")
        }
    }

    @Test func refusedFlagIsAJSONLineWhenJSONLogsWereAskedFor() throws {
        let run = try KtapeProcess.run([
            "backup", "--log-format", "json", "-b", "k:1", "--store", "/tmp/x", "--topics", "a", "--flush-size", "0"
        ])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(try #require(run.stderrLines.first).utf8)) as? [String: Any]
        #expect(object?["level"] as? String == "error")
        #expect((object?["message"] as? String)?.contains("--flush-size") == true)
    }

    @Test func restoreNeverCreatesAMissingStoreDirectory() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("typo")
        let run = try KtapeProcess.run(["restore", "-b", "127.0.0.1:1", "--store", missing.path, "--dry-run"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("no such directory"))
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }
}
