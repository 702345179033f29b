import Foundation
import KtapeTestSupport
import Testing

/// `ktape prune` as a scheduled job runs it: back up twice, prune what is older than a time between
/// the two, then verify, ls and restore the pruned store.
@Suite struct PruneCommandTests {
    @Test func pruneThenVerifyLsAndRestore() async throws {
        let source = try MockKafkaProcess(topic: "orders", partitions: 2)
        defer { source.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store").path
        let backup = ["backup", "-b", source.bootstrap, "--topics", "orders", "--store", store, "--flush-size", "50"]
        try await ReliabilityTests.produce(source.bootstrap, topic: "orders", count: 400)
        #expect(try await KtapeProcess.runAsync(backup).status == 0)
        try await Task.sleep(nanoseconds: 1_100_000_000)
        let cutoff = String(Int64(Date().timeIntervalSince1970 * 1000))
        try await Task.sleep(nanoseconds: 1_100_000_000)
        try await ReliabilityTests.produce(source.bootstrap, topic: "orders", count: 300)
        #expect(try await KtapeProcess.runAsync(backup).status == 0)

        let dry = try await KtapeProcess.runAsync(["prune", "--store", store, "--before", cutoff, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would remove"), "\(dry.stdout)")
        let summary = directory.appendingPathComponent("prune.json").path
        let prune = try await KtapeProcess.runAsync(["prune", "--store", store, "--before", cutoff, "--summary-json", summary])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("removed"), "\(prune.stdout)")
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
        let removed = (written?["partitions"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["records"] as? Int ?? 0) }
        #expect(removed == 400)

        let verify = try await KtapeProcess.runAsync(["verify", "--store", store])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("300 records checked: no problems"), "\(verify.stdout)")
        let ls = try await KtapeProcess.runAsync(["ls", "--store", store])
        #expect(ls.stdout.contains("PRUNED") && ls.stdout.contains("below "), "\(ls.stdout)")

        let target = try MockKafkaProcess(topic: "orders", partitions: 2)
        defer { target.stop() }
        let restore = try await KtapeProcess.runAsync(["restore", "-b", target.bootstrap, "--store", store])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try await ReliabilityTests.count(target.bootstrap, topic: "orders") == 300)
    }

    @Test(arguments: [
        (["--keep-within", "30d", "--before", "1"], "cannot be given with keep-within"),
        ([], "keep-within"),
        (["--keep-within", "soon"], "positive duration")
    ])
    func aPruneWithoutOneClearCutoffIsRefused(_ flags: [String], _ reason: String) async throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await KtapeProcess.runAsync(["prune", "--store", directory.path] + flags)
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains(reason), "\(run.stderr)")
    }

    /// A cutoff out of range is invalid input, one line (before, these trapped with "Illegal
    /// instruction", exit 132, or printed a cutoff in year -292274998).
    @Test(arguments: [
        (["--keep-within", "99999999999999d"], "keep-within: must be at most 36500d"),
        (["--keep-within", "9223372036854775807s"], "keep-within: must be at most 36500d"),
        (["--keep-within", "106751991167d"], "keep-within: must be at most 36500d"),
        (["--before", "9223372036854775807"], "before: must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"),
        (["--before", "253402300800000"], "before: must be from 1970-01-01T00:00:00Z"),
        (["job:before: 9223372036854775807"], "prune.yaml:2: before: must be from 1970-01-01T00:00:00Z")
    ])
    func aCutoffOutOfRangeIsRefused(_ flags: [String], _ reason: String) async throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = ["prune", "--store", directory.path, "--dry-run"]
        if let line = flags.first, line.hasPrefix("job:") {
            let job = directory.appendingPathComponent("prune.yaml")
            try Data("store: \(directory.path)\n\(line.dropFirst(4))\n".utf8).write(to: job)
            arguments = ["prune", "--job", job.path, "--dry-run"]
        } else {
            arguments += flags
        }
        let run = try await KtapeProcess.runAsync(arguments)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(reason), "\(run.stderr)")
    }
}
