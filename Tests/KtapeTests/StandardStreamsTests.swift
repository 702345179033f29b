import Foundation
import KtapeTestSupport
import Spawn
import Testing

/// stdout and stderr as a scheduler may hand them over: full, closed, or a pipe nobody reads. Results
/// that could not be written fail the run with one line; a log line that could not be written never
/// crashes it (FileHandle.write trapped: exit 132) nor changes its exit status.
struct StandardStreamsTests {
    /// Runs `ktape arguments` through sh with `redirections` applied, the rest of its output in files.
    func run(_ arguments: [String], redirections: String) throws -> (status: Int32, stderr: String) {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("stderr")
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let words = ([KtapeProcess.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.arguments = ["-c", "exec \(words) 2>'\(log.path)' \(redirections)"]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    func emptyStore() throws -> URL {
        let store = try KtapeProcess.temporaryDirectory()
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        return store
    }

    @Test(arguments: [
        (">/dev/full", "No space left on device"), (">&-", "Bad file descriptor")
    ])
    func resultsThatCannotBeWrittenFailTheRun(redirection: String, reason: String) throws {
        let store = try emptyStore()
        defer { try? FileManager.default.removeItem(at: store) }
        let (status, stderr) = try run(["ls", "--store", store.path], redirections: redirection)
        #expect(status == 1, "\(stderr)")
        #expect(stderr == "ktape: error: cannot write the results to standard output: \(reason)\n")
    }

    /// Results cut off by a reader that is gone fail it too, with a line, not a silent SIGPIPE.
    @Test func aPipeWhoseReaderIsGoneFailsWithALine() throws {
        let store = try emptyStore()
        defer { try? FileManager.default.removeItem(at: store) }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let status = directory.appendingPathComponent("status")
        let log = directory.appendingPathComponent("stderr")
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // The reader closes the pipe's only read end, then says so; ktape starts once it has (a fixed
        // wait for the reader to exit was left to the machine's load).
        let gone = directory.appendingPathComponent("gone").path
        process.arguments = [
            "-c",
            "{ until [ -e '\(gone)' ]; do sleep 0.02; done; exec '\(KtapeProcess.binary.path)' ls --store '\(store.path)' 2>'\(log.path)'; } | { exec 0<&-; touch '\(gone)'; }; echo ${PIPESTATUS[0]} > '\(status.path)'"
        ]
        try process.run()
        process.waitUntilExit()
        #expect(try String(contentsOf: log, encoding: .utf8) == "ktape: error: cannot write the results to standard output: Broken pipe\n")
        #expect(try String(contentsOf: status, encoding: .utf8) == "1\n")
    }

    /// A failing command keeps its own status and line when stderr is full or closed.
    @Test(arguments: ["2>/dev/full", "2>&-"])
    func anUnwritableLogChangesNoExitStatus(redirection: String) throws {
        let missing = try KtapeProcess.temporaryDirectory().appendingPathComponent("none")
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec '\(KtapeProcess.binary.path)' ls --store '\(missing.path)' --topics-dir '' \(redirection)"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
    }

    /// A value with a line break in it (a topic, a path) is quoted in the error, which stays one line
    /// for a log that reads the last one (it was split over two).
    @Test func anErrorQuotingALineBreakIsStillOneLine() throws {
        let run = try KtapeProcess.run(["backup", "-b", "127.0.0.1:1", "--topics", "a\nb", "--store", "/tmp/unused"])
        #expect(run.status == 2)
        #expect(run.stderrLines == [#"ktape: error: --topics: 'a\nb': topic name has illegal character '\n' (allowed: a-z A-Z 0-9 . _ -)"#])
    }
}
