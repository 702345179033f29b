import Foundation
import Spawn
import Testing

@Suite struct ChildProcessTests {
    static func shell(_ script: String, stdout: Any? = nil) -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardOutput = stdout
        process.standardError = nil
        process.standardInput = FileHandle.nullDevice
        return process
    }

    @Test func exitStatusAndSignalAreReported() throws {
        let exits = Self.shell("exit 7")
        try exits.run()
        exits.waitUntilExit()
        #expect(exits.terminationReason == .exit)
        #expect(exits.terminationStatus == 7)

        let killed = Self.shell("sleep 30")
        try killed.run()
        #expect(killed.isRunning)
        killed.terminate()
        #expect(killed.waitUntilExit(timeout: 10))
        #expect(killed.terminationReason == .uncaughtSignal)
        #expect(killed.terminationStatus == SIGTERM)
        #expect(!killed.isRunning)
    }

    /// The child sees only stdin, stdout and stderr, however many descriptors this process holds.
    @Test func theChildInheritsNoOtherDescriptor() throws {
        let held = (0..<20).map { _ in Pipe() }
        let output = Pipe()
        let child = Self.shell("ls /proc/$$/fd", stdout: output)
        try child.run()
        let listed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(Set(listed.split(whereSeparator: \.isNewline)) == ["0", "1", "2"], "\(listed)")
        #expect(held.count == 20)
    }

    /// Foundation's Process lost the exit of a child whose watch socket leaked into a long-lived
    /// sibling started at the same moment. Here every short child's exit is seen while long-lived
    /// ones, started concurrently from other threads, still run.
    @Test func exitsAreSeenWhileManyStartAtOnceBesideLongLivedOnes() throws {
        let sleepers = (0..<8).map { _ in Self.shell("sleep 60") }
        let short = (0..<64).map { Self.shell("exit \($0 % 5)") }
        DispatchQueue.concurrentPerform(iterations: sleepers.count + short.count) { index in
            if index < sleepers.count { try? sleepers[index].run() } else { try? short[index - sleepers.count].run() }
        }
        defer { sleepers.forEach { $0.terminate() } }
        for (index, child) in short.enumerated() {
            #expect(child.waitUntilExit(timeout: 20), "child \(index) was never seen to exit")
            #expect(child.terminationStatus == Int32(index % 5))
        }
        #expect(sleepers.allSatisfy { $0.isRunning })
    }

    /// A thread that blocks SIGTERM (as librdkafka's do) starts children that still stop on it.
    @Test func childrenStartWithDefaultSignalHandling() throws {
        let started = DispatchSemaphore(value: 0)
        let child = Self.shell("sleep 30")
        let thread = Thread {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            try? child.run()
            started.signal()
        }
        thread.start()
        started.wait()
        child.terminate()
        #expect(child.waitUntilExit(timeout: 10))
        #expect(child.terminationReason == .uncaughtSignal)
    }

    @Test func aMissingProgramIsAnError() {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/nonexistent/program")
        #expect(throws: SpawnError.self) { try process.run() }
    }
}
