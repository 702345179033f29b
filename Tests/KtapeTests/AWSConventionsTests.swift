import Foundation
import Spawn
import KtapeTestSupport
import ObjectStore
import Testing

/// The AWS CLI's conventions, end to end through the binary against moto (signatures checked):
/// a profile's `endpoint_url`, `services` section, `s3 = addressing_style`, `--profile` and
/// `--addressing-style`, with nothing in the environment but the files.
@Suite struct AWSConventionsTests {
    static func home(endpoint: String, keys: (id: String, secret: String)) throws -> URL {
        let home = try KtapeProcess.temporaryDirectory()
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        try """
        [profile minio]
        region = us-east-1
        endpoint_url = \(endpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost"))
        s3 =
          addressing_style = virtual
        [profile local-services]
        region = us-east-1
        services = local
        endpoint_url = http://127.0.0.1:9
        [services local]
        s3 =
          endpoint_url = \(endpoint)
        """.write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        try
            "[minio]\naws_access_key_id = \(keys.id)\naws_secret_access_key = \(keys.secret)\n[local-services]\naws_access_key_id = \(keys.id)\naws_secret_access_key = \(keys.secret)\n"
            .write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        return home
    }

    /// No keys, region or endpoint in the environment: everything must come from the profile.
    static func environment(home: URL) -> [String: String] {
        [
            "HOME": home.path, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_REGION": "",
            "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_PROFILE": "",
            "AWS_CONFIG_FILE": home.appendingPathComponent(".aws/config").path,
            "AWS_SHARED_CREDENTIALS_FILE": home.appendingPathComponent(".aws/credentials").path
        ]
    }

    @Test func profileEndpointServicesAndAddressingStyleReachTheBucket() async throws {
        let server = try await S3TestServer.shared.value
        let bucket = try await server.freshStore()
        let kafka = try MockKafkaProcess(topic: "conventions", partitions: 1)
        try Self.produce(["one", "two", "three"], topic: "conventions", bootstrap: kafka.bootstrap)
        let home = try Self.home(endpoint: server.endpoint, keys: (server.credentials.accessKeyId, server.credentials.secretAccessKey))
        defer { try? FileManager.default.removeItem(at: home) }
        let store = "s3://\(bucket.config.bucket)/from-profile"

        // Profile-wide endpoint_url (through localhost) and the profile's virtual-hosted addressing.
        let backup = try KtapeProcess.run(
            ["backup", "-b", kafka.bootstrap, "--topics", "conventions", "--store", store, "--profile", "minio"],
            environment: Self.environment(home: home))
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(
            try await !bucket.list(prefix: "from-profile/_ktape/runs/", delimiter: nil, continuationToken: nil, maxKeys: 10).objects.isEmpty
        )

        // The services section's s3 endpoint beats the profile-wide one (which points nowhere), here path-style.
        let listed = try KtapeProcess.run(
            ["ls", "--store", store, "--profile", "local-services", "--addressing-style", "path"],
            environment: Self.environment(home: home))
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("conventions"))

        // Without --profile the default profile (none here) applies: no credentials, one line.
        let anonymous = try KtapeProcess.run(
            ["ls", "--store", store, "--endpoint-url", server.endpoint], environment: Self.environment(home: home))
        #expect(anonymous.status != 0)
        #expect(anonymous.stderr.contains("no AWS credentials found"), "\(anonymous.stderr)")
    }

    /// A few records through kcat (a Debian package scripts/setup installs).
    static func produce(_ values: [String], topic: String, bootstrap: String) throws {
        let kcat = ChildProcess()
        kcat.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        kcat.arguments = ["30", "kcat", "-b", bootstrap, "-P", "-t", topic, "-p", "0"]
        let input = Pipe()
        kcat.standardInput = input
        try kcat.run()
        try input.fileHandleForWriting.write(contentsOf: Data((values.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        kcat.waitUntilExit()
        try #require(kcat.terminationStatus == 0, "kcat could not produce")
    }

    @Test func badAddressingStyleOrMissingProfileIsExitTwo() throws {
        let style = try KtapeProcess.run(["ls", "--store", "s3://ktape-x/y", "--addressing-style", "dns"])
        #expect(style.status == 2)
        #expect(style.stderr.contains("--addressing-style: must be one of auto, path, virtual (got 'dns')"), "\(style.stderr)")
        let home = try Self.home(endpoint: "http://127.0.0.1:9", keys: ("AKIAX", "x"))
        defer { try? FileManager.default.removeItem(at: home) }
        let profile = try KtapeProcess.run(
            ["ls", "--store", "s3://ktape-x/y", "--profile", "nightly"], environment: Self.environment(home: home))
        #expect(profile.status != 0)
        #expect(profile.stderr.contains("AWS profile 'nightly' not found"), "\(profile.stderr)")
    }
}
