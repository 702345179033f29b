import Foundation
import KtapeTestSupport
import Testing

/// A scheduler's open-files limit: a low soft limit under a higher hard one is raised (the demo's
/// three mock brokers, producer, backup and restore failed at 16 after a 30 s wait, and hung at 32);
/// a hard limit too low for any run is one line and exit 2 at once, not a SIGILL from libdispatch.
struct OpenFilesLimitTests {
    /// Runs ktape under bash's `ulimit` settings.
    func run(limits: String, _ arguments: String, in directory: URL) async throws -> KtapeRun {
        try await KtapeProcess.runAsync(
            ["-c", "\(limits) && exec \"$0\" \(arguments)", KtapeProcess.binary.path], in: directory,
            executable: URL(fileURLWithPath: "/bin/bash"))
    }

    @Test func aLowSoftLimitIsRaisedToTheHardOne() async throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await run(limits: "ulimit -Sn 16 && ulimit -Hn 4096", "demo --records 200", in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("compared 400 records (key, value, headers, timestamp, partition, order): 0 differ"))
    }

    @Test func aHardLimitTooLowIsOneLineAndExit2() async throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await run(limits: "ulimit -n 16", "demo --records 200", in: directory)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("this process may open only 16 files (ulimit -n; hard limit 16)"), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "the run started: \(run.stdout)")
        // Asking for the version or for help needs no descriptors worth counting.
        let version = try await self.run(limits: "ulimit -n 16", "--version", in: directory)
        #expect(version.status == 0 && version.stdout.hasPrefix("ktape "), "\(version.stderr)")
        for help in ["--help", "backup --help", "restore -h", "help prune"] {
            let answer = try await self.run(limits: "ulimit -n 16", help, in: directory)
            #expect(answer.status == 0 && answer.stdout.contains("USAGE:"), "\(help): \(answer.stderr)")
        }
    }
}
