import Foundation
import Spawn
import Testing

/// Runs `scripts/credential-stubs` for the tests: one process per distinct set of options,
/// started on first use. The stub exits when its stdin closes, i.e. when the test process ends.
actor CredentialStubServer {
    static let shared = CredentialStubServer()

    /// The stub's options in every test: STS and the container endpoint check these values.
    static let webIdentityToken = "stub-web-identity-jwt"
    static let containerToken = "stub-container-authorization"

    private var running: [[String]: (process: ChildProcess, stdin: Pipe, base: String)] = [:]

    /// The stub's base URL (http://127.0.0.1:PORT) for these extra options.
    func baseURL(_ options: [String] = []) throws -> String {
        if let known = running[options] { return known.base }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/credential-stubs")
        let process = ChildProcess()
        process.executableURL = script
        process.arguments =
            [
                "--exit-on-stdin-eof", "--web-identity-token", Self.webIdentityToken,
                "--container-token", Self.containerToken
            ] + options
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw StubError(reason: "credential-stubs exited before printing its address") }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n")[0]
        guard let range = first.range(of: "http://127.0.0.1:") else { throw StubError(reason: "unexpected first line: \(first)") }
        let base = String(first[range.lowerBound...])
        running[options] = (process, stdin, base)
        return base
    }

    struct StubError: Error, CustomStringConvertible {
        let reason: String
        var description: String { "credential-stubs: \(reason)" }
    }
}
