import Foundation
import Spawn
import KtapeTestSupport
import ObjectStore
import Testing

/// Metrics for alerting: promtool accepts every file, the last success survives a failed run, and a
/// Pushgateway (Debian's, started here on loopback) receives the pushes, grouped by job and store.
@Suite("metrics for alerting", .serialized)
struct MetricsTests {
    static func promtoolAccepts(_ path: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let promtool = ChildProcess()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        promtool.standardInput = try FileHandle(forReadingFrom: path)
        let output = Pipe()
        promtool.standardOutput = output
        promtool.standardError = output
        try promtool.run()
        promtool.waitUntilExit()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(promtool.terminationStatus == 0, "promtool: \(said)", sourceLocation: sourceLocation)
    }

    static func value(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + "{") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    @Test func failedBackupKeepsTheLastSuccessAndPromtoolAcceptsBoth() throws {
        let kafka = try KafkaWithRecords(topic: "metered", partitions: 2, records: 10)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        let metrics = directory.appendingPathComponent("backup.prom")

        let good = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "metered", "--store", store, "--metrics-file", metrics.path
        ])
        #expect(good.status == 0, "\(good.stderr)")
        try Self.promtoolAccepts(metrics)
        let first = try String(contentsOf: metrics, encoding: .utf8)
        let labels = "{command=\"backup\",ktape_job=\"ktape\",store=\"\(store)\",shard=\"all\"}"
        #expect(first.contains("ktape_backup_success\(labels) 1"), "\(first)")
        #expect(first.contains("ktape_backup_records\(labels) 10"))
        // The mock cannot list consumer groups: a scheduled job's owner sees that none were saved.
        #expect(first.contains("ktape_backup_group_offsets_saved\(labels) 0"), "\(first)")
        #expect(first.contains("ktape_backup_group_offsets\(labels) 0"))
        #expect(good.stdout.contains(", group offsets not saved, "), "\(good.stdout)")
        #expect(!first.contains("job=\"ktape\"") || first.contains("ktape_job=\"ktape\""))
        #expect(!first.contains("{job="), "a job label clashes with Prometheus's own: \(first)")
        let lastSuccess = try #require(Self.value("ktape_last_success_timestamp_seconds", in: first))

        // Same command, job and store (spelled relative to the run's directory: one series all the
        // same); a topic that does not exist makes the run fail.
        let bad = try KtapeProcess.run(
            [
                "backup", "-b", kafka.bootstrap, "--topics", "metered,missing", "--store", "./store",
                "--metrics-file", metrics.path
            ], in: directory)
        #expect(bad.status == 2)
        try Self.promtoolAccepts(metrics)
        let second = try String(contentsOf: metrics, encoding: .utf8)
        #expect(second.contains("ktape_backup_success\(labels) 0"), "\(second)")
        #expect(Self.value("ktape_last_success_timestamp_seconds", in: second) == lastSuccess, "the last success was lost: \(second)")
    }

    /// A job file edited wrong (here flush-size 0) is refused before any work, exit 2; the refusal is
    /// reported where the job's runs report: success 0 in its metrics, `failed` in its summary JSON,
    /// the error line in its log format. The metrics and summary of the last good run were left, and
    /// the line was text though the file asked for JSON logs.
    @Test func refusedSettingsAreReportedWhereTheJobsRunsReport() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        let metrics = directory.appendingPathComponent("nightly.prom")
        let summary = directory.appendingPathComponent("nightly.json")
        let job = directory.appendingPathComponent("nightly.yaml")
        try """
        bootstrap-servers: 127.0.0.1:9
        topics: [orders]
        store: \(store)
        metrics-file: \(metrics.path)
        summary-json: \(summary.path)
        log-format: json
        flush-size: 0
        """.write(to: job, atomically: true, encoding: .utf8)
        let refused = try KtapeProcess.run(["backup", "--job", job.path])
        #expect(refused.status == 2, "\(refused.stderr)")
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("{") == true, "\(refused.stderr)")
        #expect(refused.stderr.contains("flush-size: must be at least 1"), "\(refused.stderr)")
        try Self.promtoolAccepts(metrics)
        let text = try String(contentsOf: metrics, encoding: .utf8)
        let labels = "{command=\"backup\",ktape_job=\"nightly\",store=\"\(store)\",shard=\"all\"}"
        #expect(text.contains("ktape_backup_success\(labels) 0"), "\(text)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        #expect(document["failed"] as? Bool == true && document["exitStatus"] as? Int == 2, "\(document)")
        #expect((document["error"] as? String)?.contains("flush-size: must be at least 1") == true)
        // No run began, so none has an id (it was an empty string).
        #expect(document["runId"] is NSNull, "\(document)")

        // What no run of the job did leaves them alone: --print-config of it, and the backup's job
        // file given to restore (a restore's refusal replaced the backup's series and summary).
        try FileManager.default.removeItem(at: metrics)
        try FileManager.default.removeItem(at: summary)
        #expect(try KtapeProcess.run(["backup", "--job", job.path, "--print-config"]).status == 2)
        #expect(try KtapeProcess.run(["restore", "--job", job.path]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: metrics.path) && !FileManager.default.fileExists(atPath: summary.path))
        // A job file that cannot be read still names the series its runs report under.
        try FileManager.default.removeItem(at: job)
        let unread = try KtapeProcess.run(["backup", "--job", job.path, "--store", store, "--metrics-file", metrics.path])
        #expect(unread.status == 2)
        let after = try String(contentsOf: metrics, encoding: .utf8)
        #expect(after.contains("ktape_backup_success\(labels) 0"), "\(after)")
    }

    @Test func verifyWritesMetricsAndJSON() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try KtapeProcess.run(["demo", "--records", "20"], in: directory)
        #expect(demo.status == 0, "\(demo.stderr)")
        let store = directory.appendingPathComponent("ktape-demo").path
        let metrics = directory.appendingPathComponent("verify.prom")

        let clean = try KtapeProcess.run(["verify", "--store", store, "--metrics-file", metrics.path, "--json"])
        #expect(clean.status == 0, "\(clean.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(clean.stdout.utf8)) as? [String: Any])
        #expect(document["clean"] as? Bool == true)
        #expect((document["objectsChecked"] as? Int ?? 0) > 0)
        try Self.promtoolAccepts(metrics)
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(Self.value("ktape_verify_success", in: text) == 1, "\(text)")
        #expect(Self.value("ktape_verify_problems", in: text) == 0)

        // One object cut short: exit 3, success 0, the problem counted, in the JSON too.
        let objects = try FileManager.default.subpathsOfDirectory(atPath: store).filter { $0.hasSuffix(".ktape.json") }
        let victim = URL(fileURLWithPath: store).appendingPathComponent(try #require(objects.first))
        try Data("{}\n".utf8).write(to: victim)
        let damaged = try KtapeProcess.run(["verify", "--store", store, "--metrics-file", metrics.path, "--json"])
        #expect(damaged.status == 3)
        let found = try #require(try JSONSerialization.jsonObject(with: Data(damaged.stdout.utf8)) as? [String: Any])
        #expect(found["clean"] as? Bool == false)
        #expect(!((found["problems"] as? [Any]) ?? []).isEmpty)
        try Self.promtoolAccepts(metrics)
        let after = try String(contentsOf: metrics, encoding: .utf8)
        #expect(Self.value("ktape_verify_success", in: after) == 0)
        #expect((Self.value("ktape_verify_problems", in: after) ?? 0) >= 1)
        #expect(
            Self.value("ktape_last_success_timestamp_seconds", in: after) == Self.value("ktape_last_success_timestamp_seconds", in: text))
    }

    @Test func pushgatewayReceivesPushesGroupedByJobCommandAndStore() async throws {
        let gateway = try await Pushgateway.start()
        defer { gateway.stop() }
        let kafka = try KafkaWithRecords(topic: "pushed", partitions: 1, records: 4)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path

        let backup = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "pushed", "--store", store,
            "--metrics-push-url", gateway.url
        ])
        #expect(backup.status == 0, "\(backup.stderr)")
        let verify = try KtapeProcess.run(["verify", "--store", store, "--metrics-push-url", gateway.url + "/"])
        #expect(verify.status == 0, "\(verify.stderr)")
        // The scrape address pasted as the push URL: the gateway's 404 comes with the way out.
        let scrapeAddress = try KtapeProcess.run(["verify", "--store", store, "--metrics-push-url", gateway.url + "/metrics/"])
        #expect(scrapeAddress.status == 1)
        #expect(scrapeAddress.stderrLines.count == 1, "\(scrapeAddress.stderr)")
        #expect(scrapeAddress.stderr.contains("HTTP 404"), "\(scrapeAddress.stderr)")
        #expect(scrapeAddress.stderr.contains("base URL without the /metrics"), "\(scrapeAddress.stderr)")
        var scraped = try await gateway.scrape()
        let group = "command=\"backup\",instance=\"\",job=\"ktape\",shard=\"all\",store=\"\(store)\"}"
        #expect(scraped.contains("ktape_backup_success{\(group) 1"), "\(scraped)")
        #expect(scraped.contains("ktape_backup_records{\(group) 4"))
        // verify's push went to its own group: the backup's metrics are still there.
        #expect(scraped.contains("ktape_verify_success{command=\"verify\",instance=\"\",job=\"ktape\",store=\"\(store)\"} 1"), "\(scraped)")
        let lastSuccess = scraped.split(separator: "\n").first { $0.hasPrefix("ktape_last_success_timestamp_seconds{\(group)") }
        #expect(lastSuccess != nil)

        let failed = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "nowhere", "--store", store,
            "--metrics-push-url", gateway.url
        ])
        #expect(failed.status == 2)
        scraped = try await gateway.scrape()
        #expect(scraped.contains("ktape_backup_success{\(group) 0"), "\(scraped)")
        #expect(
            scraped.split(separator: "\n").first { $0.hasPrefix("ktape_last_success_timestamp_seconds{\(group)") } == lastSuccess,
            "a failed run's push must keep the last success: \(scraped)")
    }

    @Test func unreachablePushgatewayFailsASuccessfulRunWithOneLine() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try KtapeProcess.run(["demo", "--records", "5"], in: directory)
        #expect(demo.status == 0)
        let run = try KtapeProcess.run([
            "verify", "--store", directory.appendingPathComponent("ktape-demo").path,
            "--metrics-push-url", "http://127.0.0.1:1"
        ])
        #expect(run.status == 1)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("metrics-push-url http://127.0.0.1:1"))

        // A verify that found a problem still exits 3, saying so; the push failure is a warning.
        let objects = try FileManager.default.subpathsOfDirectory(atPath: directory.appendingPathComponent("ktape-demo/topics").path)
        let object = try #require(objects.first { $0.hasSuffix(".ktape.json") || $0.hasSuffix(".ktape.json.gz") })
        try Data().write(to: directory.appendingPathComponent("ktape-demo/topics").appendingPathComponent(object))
        let damaged = try KtapeProcess.run([
            "verify", "--store", directory.appendingPathComponent("ktape-demo").path,
            "--metrics-push-url", "http://127.0.0.1:1"
        ])
        #expect(damaged.status == 3, "\(damaged.stderr)")
        #expect(damaged.stderrLines.count == 2, "\(damaged.stderr)")
        #expect(damaged.stderrLines.contains { $0.contains("metrics-push-url http://127.0.0.1:1") })
        #expect(damaged.stderrLines.last?.contains("verify: 1 problem") == true, "\(damaged.stderr)")
    }

    /// SIGTERM mid-verify: exit 143, one line, and the failure recorded in --metrics-file as a failed
    /// verify records it (before, nothing was written). The store's endpoint takes connections and
    /// never answers, so the run is still listing when the signal comes.
    @Test func interruptedVerifyRecordsItsFailure() async throws {
        let silent = try SilentEndpoint()
        defer { silent.close() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let metrics = directory.appendingPathComponent("verify.prom")
        let output = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try KtapeProcess.start(
            ["verify", "--store", "s3://bkt/wide", "--endpoint-url", silent.url, "--metrics-file", metrics.path], output: output,
            environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"])
        // Its first store request comes after the failure's recording is set up (a fixed wait missed
        // that on a loaded machine).
        try #require(try await silent.awaitConnection(), "verify never asked the store")
        try #require(run.isRunning, "verify ended before the signal")
        kill(run.processIdentifier, SIGTERM)
        let stopped = try await KtapeProcess.finish(run, output: output)
        #expect(stopped.status == 143, "\(stopped.stderr)")
        #expect(stopped.stderrLines == ["ktape: error: interrupted by SIGTERM"], "\(stopped.stderr)")
        try Self.promtoolAccepts(metrics)
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(Self.value("ktape_verify_success", in: text) == 0, "\(text)")
    }

    /// A second SIGTERM ends a cooperative run at once (so does the grace running out): it still
    /// records its failure in --metrics-file and --summary-json, where before it wrote neither and a
    /// scheduler saw the last run's. The store's endpoint never answers, so the prune is still
    /// reading when the signals come.
    @Test func aRunEndedAtOnceBySignalsRecordsItsFailure() async throws {
        let silent = try SilentEndpoint()
        defer { silent.close() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let metrics = directory.appendingPathComponent("prune.prom")
        let summary = directory.appendingPathComponent("prune.json")
        let output = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try KtapeProcess.start(
            [
                "prune", "--store", "s3://bkt/wide", "--endpoint-url", silent.url, "--keep-within", "30d", "--metrics-file",
                metrics.path, "--summary-json", summary.path
            ], output: output,
            environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"])
        try #require(try await silent.awaitConnection(), "prune never asked the store")
        try #require(run.isRunning, "prune ended before the signal")
        kill(run.processIdentifier, SIGTERM)
        try await Task.sleep(nanoseconds: 500_000_000)
        kill(run.processIdentifier, SIGTERM)
        let stopped = try await KtapeProcess.finish(run, output: output)
        #expect(stopped.status == 143, "\(stopped.stderr)")
        // "again: stopping at once", or on a machine too loaded to have taken the first signal in
        // 0.5 s, the plain line of a run not yet stopping cooperatively: both end at once.
        #expect(stopped.stderrLines.last?.contains("interrupted by SIGTERM") == true, "\(stopped.stderr)")
        try Self.promtoolAccepts(metrics)
        #expect(Self.value("ktape_prune_success", in: try String(contentsOf: metrics, encoding: .utf8)) == 0)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any])
        #expect(fields["failed"] as? Bool == true && fields["exitStatus"] as? Int == 143, "\(fields)")
        #expect((fields["error"] as? String)?.contains("interrupted by SIGTERM") == true, "\(fields)")
    }
}

/// Debian's prometheus-pushgateway on a free loopback port, keeping nothing on disk.
final class Pushgateway {
    let url: String
    private let process: ChildProcess
    private let transport = CurlTransport(settings: .init(connections: 1))

    private init(url: String, process: ChildProcess) {
        self.url = url
        self.process = process
    }

    /// Starts the gateway and waits until it answers; async all through, so no cooperative thread is
    /// blocked waiting for work that needs one (with two of them, that deadlocked the suite).
    static func start() async throws -> Pushgateway {
        let port = try freePort()
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-pushgateway")
        process.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let gateway = Pushgateway(url: "http://127.0.0.1:\(port)", process: process)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? await gateway.transport.send(HTTPRequest(method: "GET", url: gateway.url + "/-/ready")))?.status == 200 {
                return gateway
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        process.terminate()
        throw TestSetupError("prometheus-pushgateway did not answer on \(gateway.url)")
    }

    func scrape() async throws -> String {
        let response = try await transport.send(HTTPRequest(method: "GET", url: url + "/metrics"))
        return String(decoding: response.body, as: UTF8.self)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        guard let port = bindToLoopback(socket) else { throw TestSetupError("no free port") }
        return port
    }
}

/// Binds `socket` to a free loopback port and returns the port (nil if it cannot).
func bindToLoopback(_ socket: Int32) -> Int? {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}

/// A loopback port that takes connections and never answers them.
final class SilentEndpoint {
    let url: String
    private let socket: Int32
    private var accepted: [Int32] = []

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard let port = bindToLoopback(fd), listen(fd, 64) == 0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            Glibc.close(fd)
            throw TestSetupError("no loopback port to listen on")
        }
        socket = fd
        url = "http://127.0.0.1:\(port)"
    }

    /// Waits until a client has connected (a run reached its first store request, so everything
    /// before it is done), keeping the connection open and unanswered; false after `seconds`.
    func awaitConnection(within seconds: TimeInterval = 120) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = accept(socket, nil, nil)
            if fd >= 0 {
                accepted.append(fd)
                return true
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func close() {
        for fd in accepted { Glibc.close(fd) }
        Glibc.close(socket)
    }
}
