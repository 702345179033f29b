import Foundation
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

        let run = try KtapeProcess.run(["restore", "-b", "127.0.0.1:1", "--store", store.path,
                                        "--log-format", "json", "--metrics-file", metrics.path])
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
        #expect(text.contains("ktape_restore_success{job=\"ktape\"} 0"), "a stale success must be replaced: \(text)")
        #expect(text.contains("# TYPE ktape_restore_duration_seconds gauge"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".ktape.prom.tmp").path))
    }
}
