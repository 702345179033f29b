import Foundation
import Spawn

/// `scripts/mock-kafka` in its own process: a mock Kafka cluster that outlives the ktape process under
/// test, so that process can be killed, rerun or given a newer librdkafka without losing the cluster.
///
/// Brokers are taken down here, never in the test process: librdkafka's mock re-binds a downed
/// broker's port at once, and aborts when that fails, which it does whenever a child process being
/// spawned by another test at that moment still holds the listening socket (reproduced with a
/// spawning thread beside the mock: "Address already in use", then the assertion).
// @unchecked Sendable: its properties never change and ChildProcess locks; a test sends commands from one task at a time.
public final class MockKafkaProcess: @unchecked Sendable {
    public let bootstrap: String
    private let process: ChildProcess
    private let input: Pipe
    private let output: Pipe

    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public init(topic: String, partitions: Int, brokers: Int = 1) throws {
        // A write to a cluster that died must be an error, not the end of the test process.
        signal(SIGPIPE, SIG_IGN)
        process = ChildProcess()
        process.executableURL = Self.repositoryRoot.appendingPathComponent("scripts/mock-kafka")
        // Stdin is this process's pipe: if the test process dies, the cluster goes with it.
        process.arguments = ["--exit-on-stdin-eof", "--brokers", "\(brokers)", "--topic", "\(topic):\(partitions)"]
        input = Pipe()
        output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        bootstrap = Self.readLine(output)
        guard bootstrap.contains(":") else { throw MockKafkaProcessError(message: "scripts/mock-kafka printed no bootstrap list") }
    }

    /// Creates another topic.
    public func createTopic(_ name: String, partitions: Int) throws {
        try command("topic \(name) \(partitions)")
    }

    /// Makes broker `broker` (1-based) the leader of `topic`'s `partition` (the mock picks leaders at random).
    public func setLeader(topic: String, partition: Int, broker: Int) throws {
        try command("leader \(topic) \(partition) \(broker)")
    }

    /// Takes broker `id` (1-based) down, closing its connections, or brings it back up.
    public func setBroker(_ id: Int, up: Bool) throws {
        try command("\(up ? "up" : "down") \(id)")
    }

    private func command(_ line: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        let answer = Self.readLine(output)
        guard answer == "ok" else { throw MockKafkaProcessError(message: "scripts/mock-kafka: \(line): \(answer)") }
    }

    private static func readLine(_ pipe: Pipe) -> String {
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Sends `signal` to the cluster's process: SIGKILL kills every broker at once, SIGSTOP freezes
    /// them with their connections open (a cluster that stops answering), SIGCONT thaws them.
    public var processIdentifier: pid_t { process.processIdentifier }

    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
        if signal == SIGKILL { process.waitUntilExit() }
    }

    public func stop() {
        // A cluster killed by its test has no reader left on stdin: writing would raise SIGPIPE.
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        process.terminate()
        process.waitUntilExit()
    }
}

public struct MockKafkaProcessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
