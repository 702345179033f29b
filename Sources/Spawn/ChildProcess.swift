import CSpawn
import Foundation

/// A child process with Foundation `Process`'s shape, started safely when many start at once.
///
/// Foundation's `Process` on Linux cannot be run from several threads of one process: each run
/// lists `/proc/self/fd` to close what the child should not inherit, and a pipe or its exit-watch
/// socket made by another thread meanwhile leaks into that child. A long-lived child holding
/// another's socket makes `waitUntilExit` wait forever (swift-corelibs-foundation#4795), and the
/// listing itself reads past the kernel's record and crashed the test process at ~1,300 open
/// descriptors. Here the child closes every descriptor above stderr itself (`closefrom`), starts
/// with default signal handling in its own process group, and a thread per child waits for its
/// exit with `waitpid`.
// @unchecked Sendable: settings are set before run(); pid and status live under `lock`.
public final class ChildProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public var executableURL: URL?
    public var arguments: [String]?
    /// The child's whole environment; nil: this process's.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// A `Pipe`, a `FileHandle`, or nil or `FileHandle.nullDevice` for /dev/null; by default this
    /// process's own.
    public var standardInput: Any? = FileHandle.standardInput
    public var standardOutput: Any? = FileHandle.standardOutput
    public var standardError: Any? = FileHandle.standardError
    /// Called on the waiting thread once the child has exited.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private let lock = NSCondition()
    private var pid: pid_t = 0
    private var status: (reason: TerminationReason, code: Int32)?

    public init() {}

    public var processIdentifier: Int32 { lock.withLock { pid } }
    public var isRunning: Bool { lock.withLock { pid != 0 && status == nil } }

    public var terminationStatus: Int32 {
        lock.withLock {
            precondition(status != nil, "the child process is still running")
            return status!.code
        }
    }

    public var terminationReason: TerminationReason {
        lock.withLock {
            precondition(status != nil, "the child process is still running")
            return status!.reason
        }
    }

    public func run() throws {
        guard let path = executableURL?.path else { throw SpawnError(reason: "no executable set") }
        var actions = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attr)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attr)
        }
        var devNull: FileHandle?
        func descriptor(_ value: Any?, reading: Bool) throws -> Int32 {
            switch value {
            case let pipe as Pipe: return (reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor
            // FileHandle.nullDevice has no descriptor (-1) on Linux: it means /dev/null.
            case let handle as FileHandle where handle.fileDescriptor >= 0: return handle.fileDescriptor
            case is FileHandle, nil:
                if devNull == nil { devNull = FileHandle(forUpdatingAtPath: "/dev/null") }
                guard let devNull else { throw SpawnError(reason: "cannot open /dev/null") }
                return devNull.fileDescriptor
            default: throw SpawnError(reason: "a standard stream must be a Pipe, a FileHandle or nil")
            }
        }
        let streams = [
            (try descriptor(standardInput, reading: true), STDIN_FILENO),
            (try descriptor(standardOutput, reading: false), STDOUT_FILENO),
            (try descriptor(standardError, reading: false), STDERR_FILENO)
        ]
        for (from, to) in streams { try check(posix_spawn_file_actions_adddup2(&actions, from, to), "dup2") }
        try check(ktape_spawn_addclosefrom(&actions, 3), "closefrom")
        if let directory = currentDirectoryURL?.path {
            try check(ktape_spawn_addchdir(&actions, directory), "chdir")
        }
        try check(ktape_spawnattr_clean(&attr), "attributes")

        let argv = ([path] + (arguments ?? [])).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        try check(posix_spawn(&child, path, &actions, &attr, argv, envp), "spawn \(path)")

        // The child's ends of pipes are its own now; keeping them open here would hide its EOF.
        if let pipe = standardInput as? Pipe { try? pipe.fileHandleForReading.close() }
        if let pipe = standardOutput as? Pipe { try? pipe.fileHandleForWriting.close() }
        if let pipe = standardError as? Pipe { try? pipe.fileHandleForWriting.close() }

        let started = child
        lock.withLock { pid = started }
        let waiter = Thread { [self] in reap(started) }
        waiter.name = "wait \(started)"
        waiter.start()
    }

    private func reap(_ child: pid_t) {
        // Wait without reaping, then reap under the lock: `send` can never signal a reused pid.
        var info = siginfo_t()
        while waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
        lock.withLock {
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) == -1 && errno == EINTR {}
            // WIFSIGNALED/WTERMSIG/WEXITSTATUS by hand: glibc's are macros Swift does not import.
            let signal = raw & 0x7f
            status = signal == 0 ? (.exit, (raw >> 8) & 0xff) : (.uncaughtSignal, signal)
            lock.broadcast()
        }
        terminationHandler?(self)
    }

    public func waitUntilExit() {
        lock.withLock {
            while status == nil { lock.wait() }
        }
    }

    /// Waits at most `seconds`; true when the child has exited.
    public func waitUntilExit(timeout seconds: TimeInterval) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        return lock.withLock {
            while status == nil {
                if !lock.wait(until: deadline) { return status != nil }
            }
            return true
        }
    }

    public func terminate() { send(SIGTERM) }
    public func interrupt() { send(SIGINT) }

    /// Sends `signal` to the child while it runs (never to a reaped, possibly reused, pid).
    public func send(_ signal: Int32) {
        lock.withLock {
            if pid != 0 && status == nil { kill(pid, signal) }
        }
    }

    private func check(_ code: Int32, _ step: String) throws {
        guard code == 0 else { throw SpawnError(reason: "\(step): \(String(cString: strerror(code)))") }
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "cannot start the process: \(reason)" }
}
