import Foundation
import Spawn
import ObjectStore
import SigV4

/// moto's S3 server with signature checking, started once per test process through
/// `scripts/s3-server` (which stops moto when this process exits).
public final class S3TestServer: Sendable {
    public let endpoint: String
    public let credentials: Credentials
    /// Keys of a user without any policy: the server refuses its requests with AccessDenied.
    public let deniedCredentials: Credentials
    private let process: ChildProcess

    private init(endpoint: String, credentials: Credentials, deniedCredentials: Credentials, process: ChildProcess) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.deniedCredentials = deniedCredentials
        self.process = process
    }

    public static let shared = Task { try await S3TestServer.start() }

    /// The repository root: the nearest folder above this file holding `scripts/s3-server`.
    public static func repositoryRoot() -> URL {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("scripts/s3-server").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "/work/main")
    }

    public static func start() async throws -> S3TestServer {
        TestEnvironment.isolate()
        let script = repositoryRoot().appendingPathComponent("scripts/s3-server")
        let values = try await ScriptRunner.startAndReadExports(
            script: script, arguments: ["--log", NSTemporaryDirectory() + "ktape-moto.log"])
        guard let endpoint = values.exports["AWS_ENDPOINT_URL"], let id = values.exports["AWS_ACCESS_KEY_ID"],
            let secret = values.exports["AWS_SECRET_ACCESS_KEY"], let deniedId = values.exports["KTAPE_DENIED_ACCESS_KEY_ID"],
            let deniedSecret = values.exports["KTAPE_DENIED_SECRET_ACCESS_KEY"]
        else {
            throw TestSetupError("scripts/s3-server printed no endpoint and keys")
        }
        return S3TestServer(
            endpoint: endpoint, credentials: Credentials(accessKeyId: id, secretAccessKey: secret),
            deniedCredentials: Credentials(accessKeyId: deniedId, secretAccessKey: deniedSecret), process: values.process)
    }

    /// An S3Store on a new, empty bucket.
    public func freshStore(
        credentials: Credentials? = nil, endpoint: String? = nil, maxAttempts: Int = 6,
        baseRetryDelay: Double = 0.05, transport: any HTTPTransport = S3TestServer.transport,
        objectLock: Bool = false
    ) async throws -> S3Store {
        let bucket = "ktape-\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try S3Store(
            config: S3Configuration(bucket: bucket, endpoint: self.endpoint), credentials: StaticCredentialsProvider(self.credentials),
            transport: transport)
        try await admin.createBucket(objectLock: objectLock)
        return try S3Store(
            config: S3Configuration(
                bucket: bucket, endpoint: endpoint ?? self.endpoint, maxAttempts: maxAttempts,
                baseRetryDelay: baseRetryDelay),
            credentials: StaticCredentialsProvider(credentials ?? self.credentials), transport: transport)
    }

    public static let transport = CurlTransport(settings: .init(connections: 6))
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum TestEnvironment {
    /// Nothing in these tests may reach an instance metadata service.
    public static func isolate() {
        setenv("AWS_EC2_METADATA_DISABLED", "true", 1)
    }
}

/// Starts a helper script and reads its `export NAME=value` lines up to `# ready`.
public enum ScriptRunner {
    public struct Started {
        public var process: ChildProcess
        public var exports: [String: String]
    }

    public static func startAndReadExports(script: URL, arguments: [String]) async throws -> Started {
        let process = ChildProcess()
        process.executableURL = script
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let handle = output.fileHandleForReading
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var text = ""
                while !text.contains("# ready") {
                    let data = handle.availableData
                    if data.isEmpty {
                        continuation.resume(throwing: TestSetupError("\(script.lastPathComponent) stopped before it was ready: \(text)"))
                        return
                    }
                    text += String(decoding: data, as: UTF8.self)
                }
                var exports: [String: String] = [:]
                for line in text.split(separator: "\n") where line.hasPrefix("export ") {
                    let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { exports[String(pair[0])] = String(pair[1]) }
                }
                continuation.resume(returning: Started(process: process, exports: exports))
            }
        }
    }
}

/// Deterministic bytes for round trips.
