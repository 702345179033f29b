import Foundation
import KtapeTestSupport
import Testing

/// `--summary-json` and `--metrics-file` are written when a run ends. A path that cannot be written
/// is refused before any work (exit 2, one line), not after a whole backup has run; a write that
/// fails at the end names the path and the system's reason.
@Suite(.serialized)
struct OutputFileTests {
    /// Paths no run can write at its end; `directory` gets a FIFO (a summary would block opening it,
    /// and the metrics file, replaced by a new file, would replace it, as it replaced /dev/full).
    static func badPaths(_ directory: URL) -> [(flag: String, path: String, words: String)] {
        let fifo = directory.appendingPathComponent("fifo").path
        if !FileManager.default.fileExists(atPath: fifo) { #expect(mkfifo(fifo, 0o644) == 0) }
        return [
            ("--summary-json", "/nonexistent-ktape/dir/s.json", "the directory /nonexistent-ktape/dir does not exist"),
            ("--metrics-file", "/nonexistent-ktape/x.prom", "the directory /nonexistent-ktape does not exist"),
            ("--summary-json", directory.path, "is a directory"),
            ("--metrics-file", directory.path, "is a directory"),
            ("--summary-json", fifo, "is a FIFO; name a file"),
            ("--metrics-file", fifo, "is not a regular file")
        ]
    }

    /// A metrics file reached through a symbolic link (a textfile collector's usual set-up) is
    /// replaced where the link points; the link stays.
    @Test func aMetricsFileBehindALinkIsReplacedWhereTheLinkPoints() throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let real = directory.appendingPathComponent("real.prom").path
        let link = directory.appendingPathComponent("link.prom").path
        #expect(FileManager.default.createFile(atPath: real, contents: Data("old\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let run = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", directory.appendingPathComponent("store").path,
            "--metrics-file", link
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == real)
        #expect(try String(contentsOfFile: real, encoding: .utf8).contains("ktape_backup_success"))
    }

    @Test func aBackupRefusesAnUnwritableOutputPathBeforeAnyWork() throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store")
        for (flag, path, words) in Self.badPaths(directory) {
            let run = try KtapeProcess.run(["backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", store.path, flag, path])
            ExitCodeTests.expectConfigurationError(run, mentioning: ["\(flag.dropFirst(2)) \(path): \(words)"])
            #expect(run.stdout.isEmpty, "\(run.stdout)")
            #expect(!FileManager.default.fileExists(atPath: store.path), "the backup ran")
        }
    }

    /// Restore, prune and verify take the same flags (verify only --metrics-file) and check them alike.
    @Test func restorePruneAndVerifyRefuseThemAlike() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let commands = [
            ["restore", "-b", "127.0.0.1:1", "--store", store.path, "--dry-run"],
            ["prune", "--store", store.path, "--keep-within", "7d"],
            ["verify", "--store", store.path]
        ]
        for command in commands {
            for (flag, path, words) in Self.badPaths(directory) where command[0] != "verify" || flag == "--metrics-file" {
                let run = try KtapeProcess.run(command + [flag, path])
                ExitCodeTests.expectConfigurationError(run, mentioning: ["\(flag.dropFirst(2)) \(path): \(words)"])
            }
        }
    }

    /// `--summary-json /dev/stdout` under a scheduler, whose stdout is a pipe or a file: the summary
    /// follows the line printed before it. (A pipe was refused as a FIFO, exit 2; a file got the
    /// summary at its start, under the line written after it.)
    @Test func aSummaryToStdoutFollowsTheLineInAPipeAndInAFile() async throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let backup = [
            "backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", directory.appendingPathComponent("store").path,
            "--summary-json", "/dev/stdout"
        ]
        func expectLineThenSummary(_ output: String) throws {
            let lines = output.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].hasPrefix("backup "), "\(output)")
            let json = try #require(lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(json["runId"] as? String != nil, "\(output)")
        }
        let toFile = try KtapeProcess.run(backup)
        #expect(toFile.status == 0, "\(toFile.stderr)")
        try expectLineThenSummary(toFile.stdout)

        let command = ([KtapeProcess.binary.path] + backup).map { "'\($0)'" }.joined(separator: " ")
        let piped = try await KtapeProcess.runAsync(
            ["-c", "set -o pipefail; \(command) | cat"], executable: URL(fileURLWithPath: "/bin/bash"))
        #expect(piped.status == 0, "\(piped.stderr)")
        try expectLineThenSummary(piped.stdout)
    }

    /// /dev/full takes the open and refuses the bytes: the line says so, in the system's words.
    @Test func aSummaryThatCannotBeWrittenAtTheEndSaysWhy() throws {
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 1, records: 3)
        defer { kafka.stop() }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try KtapeProcess.run([
            "backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", directory.appendingPathComponent("store").path,
            "--summary-json", "/dev/full"
        ])
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stderrLines.last == "ktape: error: summary-json /dev/full: cannot write: No space left on device", "\(run.stderr)")
        #expect(!run.stderr.contains("NSCocoaErrorDomain"))
    }
}
