import Foundation

/// `scripts/mock-kafka` in its own process: a mock Kafka cluster that outlives the ktape process under
/// test, so that process can be killed, rerun or given a newer librdkafka without losing the cluster.
public final class MockKafkaProcess {
    public let bootstrap: String
    private let process: Process
    private let input: Pipe

    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public init(topic: String, partitions: Int, brokers: Int = 1) throws {
        process = Process()
        process.executableURL = Self.repositoryRoot.appendingPathComponent("scripts/mock-kafka")
        process.arguments = ["--brokers", "\(brokers)", "--topic", "\(topic):\(partitions)"]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        bootstrap = String(decoding: line, as: UTF8.self)
        guard bootstrap.contains(":") else { throw MockKafkaProcessError(message: "scripts/mock-kafka printed no bootstrap list") }
    }

    public func stop() {
        try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        process.terminate()
        process.waitUntilExit()
    }
}

public struct MockKafkaProcessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
