import Foundation
import Spawn
import KtapeTestSupport
import Testing

/// Issue 14 end to end, with the binary as a scheduler runs it: runs that overlap, signals, stores
/// mistyped or never created, answers lost after a write succeeded.
@Suite struct ReliabilityTests {
    /// `count` records `key-n`/`{"n":n}` into `topic` with kcat.
    static func produce(_ bootstrap: String, topic: String, count: Int) async throws {
        let input = try KtapeProcess.temporaryDirectory().appendingPathComponent("records.txt")
        try (0..<count).map { "key-\($0)\t{\"n\":\($0)}" }.joined(separator: "\n").appending("\n")
            .write(to: input, atomically: true, encoding: .utf8)
        let status = try await Tools.run("/usr/bin/kcat", ["-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-l", input.path]).status
        #expect(status == 0)
    }

    /// Records in `topic` (all partitions), read to the end with kcat.
    static func count(_ bootstrap: String, topic: String) async throws -> Int {
        let run = try await Tools.run("/usr/bin/kcat", ["-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-f", "%o\n"])
        return run.stdout.split(separator: "\n").count
    }

    /// Sends `signal` to `target` the moment a file `appeared` accepts shows up, from a thread of its
    /// own (a starved cooperative pool must not make the test miss a short window); false when
    /// `process` ended first.
    static func signal(
        _ signal: Int32, to target: pid_t, when appeared: @escaping @Sendable () -> Bool,
        while process: ChildProcess
    ) async throws -> Bool {
        let watcher = FileWatcher(signal: signal, target: target, appeared: appeared, process: process)
        while watcher.outcome == nil { try await Task.sleep(nanoseconds: 10_000_000) }
        return watcher.outcome == true
    }

    static func exists(_ path: String) -> @Sendable () -> Bool { { FileManager.default.fileExists(atPath: path) } }

    /// Two backups of one topic into one store under different job names: the second is refused while
    /// the first holds its lease, the first ends well, and the store verifies (before, both exited 0
    /// and verify found 8 problems: runs covering the same offsets twice).
    @Test func backupsUnderDifferentJobNamesNeverBothWriteTheStore() async throws {
        let mock = try MockKafkaProcess(topic: "orders", partitions: 4)
        defer { mock.stop() }
        try await Self.produce(mock.bootstrap, topic: "orders", count: 60_000)
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        for job in ["nightly", "adhoc"] {
            try "bootstrap-servers: \(mock.bootstrap)\ntopics: orders\nstore: \(store)\nflush-size: 200\n"
                .write(to: directory.appendingPathComponent("\(job).yaml"), atomically: true, encoding: .utf8)
        }
        let output = try KtapeProcess.temporaryDirectory()
        let first = try KtapeProcess.start(["backup", "--job", directory.appendingPathComponent("nightly.yaml").path], output: output)
        // Frozen while it holds the lease, so the second run certainly overlaps it.
        let frozen = try await Self.signal(
            SIGSTOP, to: first.processIdentifier, when: Self.exists(store + "/_ktape/locks/store.json"),
            while: first)
        try #require(frozen, "the first run ended before its lease was seen")
        let second = try await KtapeProcess.runAsync(["backup", "--job", directory.appendingPathComponent("adhoc.yaml").path])
        kill(first.processIdentifier, SIGCONT)
        let done = try await KtapeProcess.finish(first, output: output)

        #expect(second.status == 1, "\(second.stderr)")
        #expect(second.stderrLines.last?.contains("topic orders is held by backup of job nightly by ") == true, "\(second.stderr)")
        #expect(done.status == 0, "\(done.stderr)")
        let verify = try await KtapeProcess.runAsync(["verify", "--store", store])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("60000 records checked: no problems"), "\(verify.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store + "/_ktape/runs").count == 1)
    }

    /// SIGTERM while the cluster is not answering: one line, exit 143, no lock, no manifest, the
    /// failure in --summary-json; once the cluster is back a rerun backs up everything (before, the
    /// run ended silently and left its lock behind).
    /// SIGHUP (an SSH session dropping) ends it the same way, exit 129.
    @Test(arguments: [SIGTERM, SIGHUP])
    func aSignalEndsABackupCleanlyAndARerunContinues(_ signal: Int32) async throws {
        let mock = try MockKafkaProcess(topic: "orders", partitions: 4)
        defer {
            mock.send(SIGCONT)
            mock.stop()
        }
        // Enough records that the run is still reading when the test sees its lease.
        try await Self.produce(mock.bootstrap, topic: "orders", count: 100_000)
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        let summary = directory.appendingPathComponent("summary.json").path
        let arguments = [
            "backup", "-b", mock.bootstrap, "--topics", "orders", "--store", store, "--summary-json", summary,
            "--flush-size", "100"
        ]
        let output = try KtapeProcess.temporaryDirectory()
        let run = try KtapeProcess.start(arguments, output: output)
        let frozen = try await Self.signal(
            SIGSTOP, to: mock.processIdentifier, when: Self.exists(store + "/_ktape/locks/store.json"), while: run)
        try #require(frozen && run.isRunning, "the run ended before the cluster was frozen")
        kill(run.processIdentifier, signal)
        let stopped = try await KtapeProcess.finish(run, output: output)
        #expect(stopped.status == 128 + signal, "\(stopped.stderr)")
        let name = signal == SIGHUP ? "SIGHUP" : "SIGTERM"
        #expect(stopped.stderrLines.last?.hasPrefix("ktape: error: interrupted by \(name)") == true, "\(stopped.stderr)")
        #expect(try LeaseTables.holdNoLease(atPath: store + "/_ktape/locks/store.json"))
        #expect(!FileManager.default.fileExists(atPath: store + "/_ktape/runs"))
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
        #expect(written?["failed"] as? Bool == true)
        #expect(written?["exitStatus"] as? Int == Int(128 + signal))

        mock.send(SIGCONT)
        let rerun = try await KtapeProcess.runAsync(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("100000 records"), "\(rerun.stdout)")
    }

    /// SIGINT mid-restore: exit 130, the lease released and the state written; the rerun restores
    /// every record exactly once.
    @Test func sigintEndsARestoreCleanlyAndARerunRestoresEachRecordOnce() async throws {
        let source = try MockKafkaProcess(topic: "orders", partitions: 4)
        defer { source.stop() }
        try await Self.produce(source.bootstrap, topic: "orders", count: 40_000)
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        let backup = try await KtapeProcess.runAsync([
            "backup", "-b", source.bootstrap, "--topics", "orders", "--store", store, "--flush-size", "500"
        ])
        try #require(backup.status == 0, "\(backup.stderr)")

        let target = try MockKafkaProcess(topic: "orders", partitions: 4)
        defer {
            target.send(SIGCONT)
            target.stop()
        }
        let arguments = ["restore", "-b", target.bootstrap, "--store", store]
        let output = try KtapeProcess.temporaryDirectory()
        let run = try KtapeProcess.start(arguments, output: output)
        let restoreFolder = store + "/_ktape/restore"
        let frozen = try await Self.signal(
            SIGSTOP, to: target.processIdentifier,
            when: {
                ((try? FileManager.default.contentsOfDirectory(atPath: restoreFolder)) ?? []).contains { $0.hasSuffix(".lock.json") }
            }, while: run)
        try #require(frozen && run.isRunning, "the restore ended before the target was frozen")
        kill(run.processIdentifier, SIGINT)
        let stopped = try await KtapeProcess.finish(run, output: output)
        #expect(stopped.status == 130, "\(stopped.stderr)")
        #expect(stopped.stderrLines.last?.hasPrefix("ktape: error: interrupted by SIGINT") == true, "\(stopped.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: restoreFolder)) ?? []
        let leases = left.filter { $0.hasSuffix(".lock.json") }
        #expect(
            try !leases.isEmpty && leases.allSatisfy { try LeaseTables.holdNoLease(atPath: restoreFolder + "/" + $0) },
            "lease left behind: \(left)")

        target.send(SIGCONT)
        let rerun = try await KtapeProcess.runAsync(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try await Self.count(target.bootstrap, topic: "orders") == 40_000)
    }

    /// A store URL that looks like a URL of another or a mistyped scheme is invalid input, and no
    /// local directory is made for it (before, `s3:/bad` became ./s3:/bad/topics/… and exit 0).
    @Test(arguments: ["s3:/bad", "s3//bucket/x", "file:rel", "gs://bucket/x", "s3://bkt/../x", "s3://bkt/./y"])
    func mistypedStoresAreRefusedAndNothingIsCreated(_ url: String) async throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await KtapeProcess.runAsync(["backup", "-b", "127.0.0.1:1", "--topics", "t", "--store", url], in: directory)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("store"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// A run that fails before any work leaves no store behind, not even an empty directory.
    @Test func aRunThatFailsBeforeAnyWorkCreatesNoStore() async throws {
        let mock = try MockKafkaProcess(topic: "orders", partitions: 1)
        defer { mock.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("new-store").path
        let unknownTopic = try await KtapeProcess.runAsync(["backup", "-b", mock.bootstrap, "--topics", "absent", "--store", store])
        #expect(unknownTopic.status == 2, "\(unknownTopic.stderr)")
        let unreachable = try await KtapeProcess.runAsync(["backup", "-b", "127.0.0.1:1", "--topics", "orders", "--store", store])
        #expect(unreachable.status == 1, "\(unreachable.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    /// `--flush-size -5` is refused for what it is, not as a missing value.
    @Test func aNegativeNumberIsRefusedAsSuch() async throws {
        let run = try await KtapeProcess.runAsync(["backup", "-b", "k:1", "--topics", "t", "--store", "/tmp/x", "--flush-size", "-5"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("flush-size") && run.stderr.contains("at least 1"), "\(run.stderr)")
    }

    /// A negative value is refused for what it is, naming the flag, not as a missing value (before,
    /// these said "Missing value for '--before <time>'").
    @Test(arguments: [
        (["prune", "--store", "/tmp/x", "--before", "-1"], "--before: expected an RFC 3339 time"),
        (["prune", "--store", "/tmp/x", "--keep-within", "-1d"], "--keep-within: expected a positive duration"),
        (["backup", "-b", "k:1", "--topics", "t", "--store", "/tmp/x", "--shard", "-1/2"], "--shard: expected i/n"),
        (
            ["backup", "-b", "k:1", "--topics", "t", "--store", "/tmp/x", "--compression-level", "-1"],
            "--compression-level: must be at least 1"
        ),
        (["restore", "-b", "k:1", "--store", "/tmp/x", "--from-time", "-5"], "--from-time: expected an RFC 3339 time"),
        (["restore", "-b", "k:1", "--store", "/tmp/x", "--to-time", "-5"], "--to-time: expected an RFC 3339 time"),
        (["verify", "--store", "/tmp/x", "--concurrency", "-1"], "--concurrency -1: expected 1 to 64"),
        (["demo", "--records", "-1"], "--records must be at least 1")
    ])
    func aNegativeValueIsRefusedForWhatItIs(_ arguments: [String], _ reason: String) async throws {
        let run = try await KtapeProcess.runAsync(arguments)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(reason), "\(run.stderr)")
    }
}

/// Polls for a file on a thread of its own and signals a process the moment it appears.
// @unchecked Sendable: its mutable state is under `lock`.
final class FileWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Bool?
    var outcome: Bool? { lock.withLock { result } }

    init(signal: Int32, target: pid_t, appeared: @escaping @Sendable () -> Bool, process: ChildProcess) {
        let thread = Thread { [self] in
            let deadline = Date().addingTimeInterval(300)
            while Date() < deadline {
                if appeared() {
                    kill(target, signal)
                    lock.withLock { result = true }
                    return
                }
                if !process.isRunning { break }
                usleep(500)
            }
            lock.withLock { result = false }
        }
        thread.start()
    }
}

/// Runs helper programs (kcat, the AWS CLI, scripts) without blocking a cooperative thread.
enum Tools {
    static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Int = 300,
        in directory: URL? = nil
    ) async throws -> KtapeRun {
        let output = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let process = try KtapeProcess.start(
            ["\(timeout)", path] + arguments, output: output, environment: environment, in: directory,
            executable: URL(fileURLWithPath: "/usr/bin/timeout"))
        return try await KtapeProcess.finish(process, output: output)
    }
}
