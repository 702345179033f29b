import Foundation
import ObjectStore
import Testing

/// `endpoint_url`, `services` sections and `--profile`, as the AWS CLI reads them.
@Suite struct ConfiguredEndpointTests {
    static func files(_ config: String, environment: [String: String] = [:], profile: String? = nil) throws -> (
        SharedConfigFiles, [String: String]
    ) {
        let home = try CredentialTempHome()
        try home.write(".aws/config", config)
        var env = isolatedEnvironment(home: home.path)
        env.merge(environment) { _, new in new }
        return (try SharedConfigFiles.load(environment: env, profile: profile), env)
    }

    static let config = """
        [default]
        endpoint_url = http://127.0.0.1:9000
        [profile minio]
        services = local
        endpoint_url = http://127.0.0.1:9001
        s3 =
          addressing_style = virtual
        [profile ignoring]
        services = local
        ignore_configured_endpoint_urls = true
        [services local]
        s3 =
          endpoint_url = http://127.0.0.1:9002
          addressing_style = path
        sts =
          endpoint_url = http://127.0.0.1:9003/sts
        """

    @Test func servicesSectionBeatsProfileEndpointAndEnvironmentBeatsBoth() throws {
        let (minio, env) = try Self.files(Self.config, profile: "minio")
        #expect(
            ConfiguredEndpoint.resolve(service: "s3", environment: env, files: minio, includeGlobal: true)?.url == "http://127.0.0.1:9002")
        #expect(
            ConfiguredEndpoint.resolve(service: "s3", environment: env, files: minio, includeGlobal: true)?.source
                == "[services local] s3 endpoint_url")
        #expect(minio.setting("s3.addressing_style") == "virtual")
        let (plain, plainEnv) = try Self.files(Self.config)
        #expect(
            ConfiguredEndpoint.resolve(service: "s3", environment: plainEnv, files: plain, includeGlobal: true)?.url
                == "http://127.0.0.1:9000")
        for (variable, expected) in [("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:2")] {
            let (files, env) = try Self.files(Self.config, environment: [variable: expected], profile: "minio")
            #expect(ConfiguredEndpoint.resolve(service: "s3", environment: env, files: files, includeGlobal: true)?.url == expected)
        }
    }

    @Test func stsTakesOnlyItsOwnEndpoints() throws {
        let (minio, env) = try Self.files(Self.config, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:2"], profile: "minio")
        #expect(ConfiguredEndpoint.sts(environment: env, files: minio, region: "eu-west-1").url == "http://127.0.0.1:9003/sts")
        let (plain, plainEnv) = try Self.files(Self.config, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:2"])
        #expect(
            ConfiguredEndpoint.sts(environment: plainEnv, files: plain, region: "eu-west-1").url == "https://sts.eu-west-1.amazonaws.com")
        let (_, stsEnv) = try Self.files(Self.config, environment: ["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4/sts"], profile: "minio")
        #expect(ConfiguredEndpoint.sts(environment: stsEnv, files: minio, region: nil) == ("http://127.0.0.1:4/sts", "us-east-1"))
    }

    @Test func ignoreConfiguredEndpointURLsSwitchesThemAllOff() throws {
        let (ignoring, env) = try Self.files(Self.config, environment: ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"], profile: "ignoring")
        #expect(ConfiguredEndpoint.resolve(service: "s3", environment: env, files: ignoring, includeGlobal: true) == nil)
        let (minio, minioEnv) = try Self.files(Self.config, environment: ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"], profile: "minio")
        #expect(ConfiguredEndpoint.resolve(service: "s3", environment: minioEnv, files: minio, includeGlobal: true) == nil)
    }

    @Test func profileFlagSelectsOverAWSProfileAndSkipsEnvironmentKeys() async throws {
        let home = try CredentialTempHome()
        try home.write(
            ".aws/credentials",
            """
            [env-profile]
            aws_access_key_id = AKIAENVPROFILE
            aws_secret_access_key = env-profile-secret
            [flag-profile]
            aws_access_key_id = AKIAFLAGPROFILE
            aws_secret_access_key = flag-profile-secret
            """)
        try home.write(".aws/config", "[profile flag-profile]\nregion = ap-south-1\n")
        let environment = isolatedEnvironment(
            home: home.path,
            extra: [
                "AWS_PROFILE": "env-profile", "AWS_ACCESS_KEY_ID": "AKIAENV",
                "AWS_SECRET_ACCESS_KEY": "env-secret"
            ])
        let transport = CredentialCountingTransport()
        // AWS_PROFILE alone leaves environment keys first, as the AWS CLI does.
        #expect(
            try await CredentialsChain.standard(environment: environment, region: nil, transport: transport).credentials().accessKeyId
                == "AKIAENV")
        let flagged = try CredentialsChain.standard(environment: environment, region: nil, transport: transport, profile: "flag-profile")
        #expect(try await flagged.credentials().accessKeyId == "AKIAFLAGPROFILE")
        #expect(try AWSRegion.resolve(flag: nil, environment: environment, profile: "flag-profile").region == "ap-south-1")
        let missing = try CredentialsChain.standard(environment: environment, region: nil, transport: transport, profile: "typo")
        let error = try #require(await credentialError { try await missing.credentials() })
        #expect("\(error)".contains("AWS profile 'typo' not found"))
        #expect(transport.requests.isEmpty)
    }
}
