import Foundation
import Spawn

/// The AWS CLI from the test venv, run against the test S3 server with its keys: what a user copying a
/// bucket runs (`aws s3 sync`, `aws s3 cp`).
public enum AWSCLI {
    /// Runs `aws <arguments> --endpoint-url <server>`; throws when it exits non-zero. `config`: the text of
    /// its config file (e.g. `s3 =` settings of the default profile).
    /// The CLI takes seconds (minutes on a loaded machine); it is waited for on a thread of its own, never
    /// on one of the cooperative pool's two, which other tests of the same process need meanwhile.
    @discardableResult
    public static func run(_ arguments: [String], server: S3TestServer, config: String = "") async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(arguments, server: server, config: config) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], server: S3TestServer, config: String) throws -> String {
        let process = ChildProcess()
        process.executableURL = S3TestServer.repositoryRoot().appendingPathComponent(".venv/bin/aws")
        process.arguments = arguments + ["--endpoint-url", server.endpoint]
        var environment = ProcessInfo.processInfo.environment
        for name in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            environment[name] = nil
        }
        environment["AWS_ACCESS_KEY_ID"] = server.credentials.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = server.credentials.secretAccessKey
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        let configFile = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-aws-\(UUID().uuidString).config")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: configFile) }
        environment["AWS_CONFIG_FILE"] = configFile.path
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        process.environment = environment
        let (status, text) = try process.runCapturingOutput()
        guard status == 0 else {
            throw TestSetupError("aws \(arguments.joined(separator: " ")) exited \(status): \(text)")
        }
        return text
    }
}
