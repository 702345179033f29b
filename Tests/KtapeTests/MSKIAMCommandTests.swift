import Foundation
import KtapeTestSupport
import Testing

/// `--msk-iam` end to end: the ktape binary against scripts/fake-msk-broker, which accepts a token
/// only when AWS's reference signer makes the same signature with the key's secret.
@Suite struct MSKIAMCommandTests {
    static let keys = [
        "AWS_ACCESS_KEY_ID": "AKIAKTAPEMSK0001", "AWS_SECRET_ACCESS_KEY": "ktape-msk-secret",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"
    ]

    static func kafkaFlags(_ broker: FakeMSKBroker) -> [String] {
        ["--msk-iam", "-b", broker.bootstrap, "-X", "ssl.ca.location=\(broker.caFile ?? "")"]
    }

    @Test func backupAuthenticatesWithTheTokenAndReachesTheCluster() throws {
        let broker = try FakeMSKBroker(region: "eu-west-1", secrets: ["AKIAKTAPEMSK": "ktape-msk-secret"])
        let store = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let run = try KtapeProcess.run(
            ["backup"] + Self.kafkaFlags(broker) + ["--region", "eu-west-1", "--topics", "absent", "--store", store.path],
            environment: Self.keys)
        // Past authentication: the cluster's own answer (the topic does not exist), exit 2.
        #expect(run.status == 2)
        #expect(run.stderr.contains("topic absent does not exist"), "\(run.stderr)")
        let authentications = try broker.authentications()
        #expect(!authentications.isEmpty && authentications.allSatisfy { $0.accepted == true }, "\(authentications.compactMap(\.reason))")
        #expect(authentications.first?.accessKeyId == "AKIAKTAPEMSK0001")
        #expect(authentications.first?.userAgent?.hasPrefix("ktape/") == true)
        #expect(try broker.events().contains { $0.event == "metadata" })
    }

    @Test func restoreAuthenticatesWithTheToken() throws {
        let work = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let demo = try KtapeProcess.run(["demo"], in: work)
        try #require(demo.status == 0, "\(demo.stderr)")
        let broker = try FakeMSKBroker(region: "eu-west-1", secrets: ["AKIAKTAPEMSK": "ktape-msk-secret"])
        let run = try KtapeProcess.run(
            ["restore"] + Self.kafkaFlags(broker)
                + ["--region", "eu-west-1", "--store", work.appendingPathComponent("ktape-demo").path],
            environment: Self.keys)
        #expect(run.status == 2)
        #expect(run.stderr.contains("target topic demo.events does not exist"), "\(run.stderr)")
        #expect(try broker.authentications().contains { $0.accepted == true && $0.accessKeyId == "AKIAKTAPEMSK0001" })
    }

    @Test func credentialsFromAProfileProcessSignTheToken() throws {
        let home = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let helper = home.appendingPathComponent("creds").path
        try ExecutableScript.write(
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROFILEMSK01\", \"SecretAccessKey\": \"profile-msk-secret\"}'\n",
            to: helper)
        let config = home.appendingPathComponent("config").path
        try "[profile msk]\nregion = ap-northeast-1\ncredential_process = \(helper)\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let broker = try FakeMSKBroker(region: "ap-northeast-1", secrets: ["AKIAPROFILEMSK": "profile-msk-secret"])
        var environment = Self.keys
        environment["AWS_CONFIG_FILE"] = config
        // --profile wins over the environment's keys, and its region is the token's region.
        let run = try KtapeProcess.run(
            ["backup"] + Self.kafkaFlags(broker) + ["--profile", "msk", "--topics", "absent", "--store", home.path],
            environment: environment)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(try broker.authentications().map(\.accessKeyId).contains("AKIAPROFILEMSK01"))
        #expect(try broker.authentications().allSatisfy { $0.accepted == true })
    }

    @Test func unknownRegionIsOneLineExitTwoBeforeConnecting() throws {
        var environment = Self.keys
        environment["AWS_REGION"] = ""
        environment["AWS_DEFAULT_REGION"] = ""
        let run = try KtapeProcess.run(
            ["backup", "--msk-iam", "-b", "kafka.team-a.internal:9098", "--topics", "t", "--store", "/tmp/ktape-msk-unused"],
            environment: environment)
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("msk-iam needs the cluster's AWS region; tried: --region, the broker host names"))
    }

    @Test func printConfigSaysIAMIsUsedAndNeverShowsAToken() throws {
        let job = KtapeProcess.repositoryRoot.appendingPathComponent("fixtures/jobs/handoff-backup.yaml").path
        let run = try KtapeProcess.run(["backup", "--job", job, "--print-config"], environment: Self.keys)
        #expect(run.status == 0)
        #expect(run.stdout.contains("msk-iam: true  # "))
        #expect(run.stdout.contains("# msk-iam: Kafka over security.protocol=SASL_SSL, sasl.mechanism=OAUTHBEARER\n"))
        #expect(run.stdout.contains("AWS MSK IAM tokens for region us-east-1 (from --region)"))
        #expect(!run.stdout.contains("aHR0cHM6"))  // base64url of "https:", how every token begins
        #expect(!run.stdout.contains("ktape-msk-secret"))

        let overridden = try KtapeProcess.run(
            [
                "backup", "--msk-iam", "-b", "b-1.c.x.c2.kafka.sa-east-1.amazonaws.com:9098", "--topics", "t",
                "--store", "/tmp/x", "-X", "security.protocol=SASL_PLAINTEXT", "--print-config"
            ],
            environment: Self.keys)
        #expect(overridden.stdout.contains("(-X overrides security.protocol)"))
        #expect(overridden.stdout.contains("for region sa-east-1 (from the broker host names)"))
    }
}
