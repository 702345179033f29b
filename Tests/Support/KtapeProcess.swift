import Foundation
import Spawn

/// What one run of the `ktape` binary printed, and how it ended.
public struct KtapeRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var stderrLines: [Substring] { stderr.split(separator: "\n") }

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// The built `ktape` binary, run the way a user or a scheduler runs it. Output goes to files, not
/// pipes, so a chatty child can never block on a full pipe. Credential lookups stay off the network.
public enum KtapeProcess {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `KTAPE_BIN` is set by scripts/test; a plain `swift test` falls back to the debug build.
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["KTAPE_BIN"] { return URL(fileURLWithPath: path) }
        return repositoryRoot.appendingPathComponent(".build/debug/ktape")
    }

    /// Starts ktape in the background with stdout and stderr written to files in `output`.
    /// `unsetting` removes variables of this process's environment from the child's.
    /// `executable` is another program built beside it (ktape-synthetic-store).
    public static func start(
        _ arguments: [String], output: URL, environment: [String: String] = [:],
        unsetting: [String] = [], in directory: URL? = nil, executable: URL = binary
    ) throws -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        for name in unsetting { env[name] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = directory ?? repositoryRoot
        for name in ["stdout", "stderr"] {
            _ = FileManager.default.createFile(atPath: output.appendingPathComponent(name).path, contents: nil)
        }
        process.standardOutput = try FileHandle(forWritingTo: output.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: output.appendingPathComponent("stderr"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs ktape to its end and returns what it printed.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        in directory: URL? = nil
    ) throws -> KtapeRun {
        let output = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let process = try start(arguments, output: output, environment: environment, unsetting: unsetting, in: directory)
        process.waitUntilExit()
        return KtapeRun(
            status: process.terminationStatus,
            stdout: try String(contentsOf: output.appendingPathComponent("stdout"), encoding: .utf8),
            stderr: try String(contentsOf: output.appendingPathComponent("stderr"), encoding: .utf8))
    }

    /// Like `run`, but waits without blocking a cooperative thread (the test process has two).
    public static func runAsync(
        _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        in directory: URL? = nil, executable: URL = binary
    ) async throws -> KtapeRun {
        let output = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let process = try start(
            arguments, output: output, environment: environment, unsetting: unsetting, in: directory,
            executable: executable)
        return try await finish(process, output: output)
    }

    /// Waits for a process `start` began, polling (no cooperative thread blocks), and reads its output.
    public static func finish(_ process: ChildProcess, output: URL) async throws -> KtapeRun {
        while process.isRunning { try await Task.sleep(nanoseconds: 20_000_000) }
        return KtapeRun(
            status: process.terminationStatus,
            stdout: try String(contentsOf: output.appendingPathComponent("stdout"), encoding: .utf8),
            stderr: try String(contentsOf: output.appendingPathComponent("stderr"), encoding: .utf8))
    }

    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
