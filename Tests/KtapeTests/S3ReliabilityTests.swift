import Foundation
import Spawn
import KtapeTestSupport
import Testing

/// Issue 14 against moto's S3 server (signatures checked): answers lost after a write succeeded, and
/// a store copied to another bucket and prefix with the AWS CLI.
@Suite struct S3ReliabilityTests {
    static var aws: String { KtapeProcess.repositoryRoot.appendingPathComponent(".venv/bin/aws").path }

    /// scripts/fault-proxy in front of the server, losing the answers of requests `lose` matches.
    static func proxy(to endpoint: String, lose: String? = nil, rate: Double = 0) async throws -> (url: String, process: ChildProcess) {
        let script = KtapeProcess.repositoryRoot.appendingPathComponent("scripts/fault-proxy")
        let started = try await ScriptRunner.startAndReadExports(
            script: script,
            arguments: ["--upstream", endpoint, "--rate", String(rate)] + (lose.map { ["--lose-answer", $0] } ?? []))
        guard let url = started.exports["FAULT_PROXY_URL"] else { throw TestSetupError("fault-proxy printed no URL") }
        return (url, started.process)
    }

    /// Requests the proxy failed (SlowDown, dropped or cut short), asked without leaving the thread.
    static func faultsNow(_ proxy: String) throws -> Int {
        let curl = ChildProcess()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", proxy + "/__fault-proxy/stats"]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let stats = pipe.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        let counts = try JSONDecoder().decode([String: Int].self, from: stats)
        return ["slowdown", "drop", "truncate"].reduce(0) { $0 + (counts[$1] ?? 0) }
    }

    static func lostAnswers(_ proxy: String) async throws -> Int {
        let stats = try await Tools.run("/usr/bin/curl", ["-s", proxy + "/__fault-proxy/stats"])
        let counts = try JSONDecoder().decode([String: Int].self, from: Data(stats.stdout.utf8))
        return counts["lost-answer"] ?? 0
    }

    /// The manifest's PUT is carried out but its answer lost; the client's retry meets the run's own
    /// manifest (412). The run recognises it and ends well (before: exit 1 with everything written).
    /// Then the same for the lock's conditional PUT (before: "already running", and the lease blocked
    /// other hosts for 10 minutes).
    @Test(arguments: ["PUT /team-a/prod/_ktape/runs/", "PUT /team-a/prod/_ktape/locks/store.json"])
    func aLostAnswerToAWriteThatLandedIsNotAFailure(_ lose: String) async throws {
        let server = try S3HandoffTests.Server()
        let mock = try MockKafkaProcess(topic: "orders", partitions: 2)
        defer { mock.stop() }
        try await ReliabilityTests.produce(mock.bootstrap, topic: "orders", count: 500)
        let (proxy, process) = try await Self.proxy(to: server.endpoint, lose: lose)
        defer { process.terminate() }
        let run = try await KtapeProcess.runAsync(
            [
                "backup", "-b", mock.bootstrap, "--topics", "orders", "--store", "s3://team-a/prod",
                "--endpoint-url", proxy
            ], environment: server.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try await Self.lostAnswers(proxy) == 1)
        let verify = try await KtapeProcess.runAsync(
            ["verify", "--store", "s3://team-a/prod", "--endpoint-url", server.endpoint],
            environment: server.environment)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("verify: 1 run,"), "\(verify.stdout)")
        // No lease is left behind for the next run: the lock holds none.
        let lock = try await Tools.run(
            Self.aws, ["s3", "cp", "s3://team-a/prod/_ktape/locks/store.json", "-", "--endpoint-url", server.endpoint],
            environment: server.environment)
        #expect(try LeaseTables.holdNoLease(Data(lock.stdout.utf8), name: "store.json"), "\(lock.stdout)\(lock.stderr)")
    }

    /// A restore told to stop while it retries a store that fails every request ends as the signal
    /// asked, naming what failed (before: exit 1 with the store's error, as if nobody had asked).
    @Test func aSignalDuringRetriesEndsTheRunAsInterrupted() async throws {
        let server = try S3HandoffTests.Server()
        let (proxy, process) = try await Self.proxy(to: server.endpoint, rate: 1)
        defer { process.terminate() }
        let output = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try KtapeProcess.start(
            ["restore", "-b", "127.0.0.1:9", "--store", "s3://team-a/prod", "--endpoint-url", proxy], output: output,
            environment: server.environment)
        // Signalled once the store has failed a request, so the restore is retrying it, and without a
        // suspension point from start to signal. Under a loaded sanitizer pass a fixed wait missed
        // both ways (500 ms came before the first request), and any await there resumed seconds
        // late, after the restore had given up its retries on its own.
        let deadline = Date().addingTimeInterval(60)
        while try Self.faultsNow(proxy) == 0, Date() < deadline { usleep(20_000) }
        try #require(run.isRunning, "the restore ended before the signal")
        kill(run.processIdentifier, SIGTERM)
        let stopped = try await KtapeProcess.finish(run, output: output)
        #expect(stopped.status == 143, "\(stopped.stderr)")
        #expect(stopped.stderrLines.last?.hasPrefix("ktape: error: interrupted by SIGTERM (") == true, "\(stopped.stderr)")
    }

    /// A store backed up under one prefix, copied with `aws s3 sync` into another bucket under
    /// another prefix, verifies and restores there (before: every object "not under" the copy's prefix).
    @Test func aStoreCopiedToAnotherBucketAndPrefixVerifiesAndRestores() async throws {
        let server = try S3HandoffTests.Server()
        let source = try MockKafkaProcess(topic: "orders", partitions: 3)
        defer { source.stop() }
        try await ReliabilityTests.produce(source.bootstrap, topic: "orders", count: 3_000)
        let env = server.environment
        let backup = try await KtapeProcess.runAsync(
            [
                "backup", "-b", source.bootstrap, "--topics", "orders", "--store", "s3://team-a/prod",
                "--flush-size", "250"
            ], environment: env)
        try #require(backup.status == 0, "\(backup.stderr)")
        let copy = try await Tools.run(
            Self.aws,
            [
                "s3", "sync", "s3://team-a/prod", "s3://team-b/inbox/from-team-a",
                "--endpoint-url", server.endpoint, "--only-show-errors"
            ], environment: env)
        #expect(copy.status == 0, "\(copy.stderr)")

        let verify = try await KtapeProcess.runAsync(["verify", "--store", "s3://team-b/inbox/from-team-a"], environment: env)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("3000 records checked: no problems"), "\(verify.stdout)")
        let target = try MockKafkaProcess(topic: "orders", partitions: 3)
        defer { target.stop() }
        let restore = try await KtapeProcess.runAsync(
            [
                "restore", "-b", target.bootstrap, "--store", "s3://team-b/inbox/from-team-a",
                "--state-dir", try KtapeProcess.temporaryDirectory().path
            ], environment: env)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try await ReliabilityTests.count(target.bootstrap, topic: "orders") == 3_000)
    }
}
