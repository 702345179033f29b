import Foundation
import ObjectStore
import SigV4
import Testing

/// The project's libcurl transport, refusing anything but 127.0.0.1 so no test can reach EC2
/// metadata, a container agent or real STS even when misconfigured.
struct LoopbackCurlTransport: HTTPTransport {
    /// One pool of curl threads for all credential tests.
    private static let curl = CurlTransport(settings: CurlTransport.Settings(connections: 4, caBundle: nil, connectTimeout: 2))

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let url = URL(string: request.url), url.host == "127.0.0.1" else {
            throw HTTPTransportError(url: request.url, reason: "test transport refuses non-loopback address")
        }
        return try await Self.curl.send(request)
    }
}

/// Answers from a closure and records every request, to prove what was (not) sent.
// @unchecked Sendable: its mutable state is under `lock`.
final class CredentialCountingTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [HTTPRequest] = []
    private let answer: @Sendable (HTTPRequest) async throws -> HTTPResponse

    init(
        answer: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse = { request in
            throw HTTPTransportError(url: request.url, reason: "no answer in this test")
        }
    ) {
        self.answer = answer
    }

    /// Counts, then passes each request to the loopback transport.
    convenience init(forwardingTo transport: HTTPTransport) {
        self.init { try await transport.send($0) }
    }

    var requests: [HTTPRequest] { lock.withLock { sent } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { sent.append(request) }
        return try await answer(request)
    }
}

/// A clock tests move by hand.
// @unchecked Sendable: its mutable state is under `lock`.
final class CredentialTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    var clock: CredentialsClock { { [self] in now } }
}

/// A fresh temporary directory standing in for HOME, removed when the value goes away.
final class CredentialTempHome {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "ktape-credentials-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
        let full = path + "/" + relativePath
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

/// An environment that keeps every lookup on loopback or off: the base of every chain test.
func isolatedEnvironment(home: String, extra: [String: String] = [:]) -> [String: String] {
    var environment = ["HOME": home, "AWS_EC2_METADATA_DISABLED": "true"]
    environment.merge(extra) { _, new in new }
    return environment
}

/// Fails the test if a secret shows up in an error's description.
func expectNoSecrets(_ error: Error, _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    let text = "\(error)"
    for secret in secrets {
        #expect(!text.contains(secret), "error leaks a secret: \(text)", sourceLocation: sourceLocation)
    }
}

/// The error a throwing call produced, or a test failure if it did not throw.
func credentialError(_ body: () async throws -> Any, sourceLocation: SourceLocation = #_sourceLocation) async -> Error? {
    do {
        let value = try await body()
        Issue.record("expected an error, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
