import Foundation
import Spawn

/// `scripts/fake-msk-broker` in its own process: a loopback Kafka listener that authenticates MSK IAM
/// tokens (checked against AWS's reference signer) and answers metadata. It exits when the test
/// process ends (its stdin closes); its events are JSON lines in a file.
public final class FakeMSKBroker {
    public struct Event: Decodable, Sendable {
        public var event: String
        public var accepted: Bool?
        public var reason: String?
        public var clientId: String?
        public var accessKeyId: String?
        public var amzDate: String?
        public var sessionToken: Bool?
        public var userAgent: String?
        public var expiresAt: Double?
        public var token: String?
        public var time: Double
    }

    /// `127.0.0.1:PORT`.
    public let bootstrap: String
    /// The self-signed certificate to trust (`-X ssl.ca.location`), with `tls`.
    public let caFile: String?
    private let process: ChildProcess
    private let input: Pipe
    private let eventsPath: String

    public init(
        region: String = "us-east-1", secrets: [String: String], tls: Bool = true, topics: [String] = [],
        closeAfterMilliseconds: Int = 0, reject: Bool = false
    ) throws {
        eventsPath = NSTemporaryDirectory() + "fake-msk-broker-" + UUID().uuidString + ".jsonl"
        _ = FileManager.default.createFile(atPath: eventsPath, contents: nil)  // the events check fails without it
        process = ChildProcess()
        process.executableURL = MockKafkaProcess.repositoryRoot.appendingPathComponent("scripts/fake-msk-broker")
        var arguments = ["--exit-on-stdin-eof", "--region", region, "--close-after-ms", String(closeAfterMilliseconds)]
        arguments += secrets.sorted { $0.key < $1.key }.flatMap { ["--secret", "\($0.key)=\($0.value)"] }
        arguments += topics.flatMap { ["--topic", $0] }
        if tls { arguments.append("--tls") }
        if reject { arguments.append("--reject") }
        process.arguments = arguments
        input = Pipe()
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: eventsPath))
        try process.run()
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(60)  // the loop ends once it has started: generous for a loaded machine
        while lines.count < (tls ? 2 : 1) {
            guard Date() < deadline, process.isRunning else { throw FakeMSKBrokerError(message: "scripts/fake-msk-broker did not start") }
            Thread.sleep(forTimeInterval: 0.05)
            lines = (try? String(contentsOfFile: eventsPath, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        }
        guard let address = lines[0].components(separatedBy: " on ").last, address.hasPrefix("127.0.0.1:") else {
            throw FakeMSKBrokerError(message: "unexpected first line: \(lines[0])")
        }
        bootstrap = address
        caFile = tls ? lines[1].replacingOccurrences(of: "ca-file: ", with: "") : nil
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: eventsPath)
    }

    /// Every event so far, oldest first.
    public func events() throws -> [Event] {
        let text = try String(contentsOfFile: eventsPath, encoding: .utf8)
        return try text.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try JSONDecoder().decode(Event.self, from: Data($0.utf8))
        }
    }

    /// The SASL authentications so far.
    public func authentications() throws -> [Event] { try events().filter { $0.event == "auth" } }
}

public struct FakeMSKBrokerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
