import Foundation
import ObjectStore
import SigV4
import Testing

/// Order and precedence of the default chain, with every source pointed at loopback.
@Suite struct CredentialChainTests {
    private let roleArn = "arn:aws:iam::123456789012:role/ktape-backup"

    /// An environment in which every one of the five sources would answer.
    private func everySource(home: CredentialTempHome) async throws -> [String: String] {
        let base = try await CredentialStubServer.shared.baseURL()
        let tokenFile = try home.write("token", CredentialStubServer.webIdentityToken)
        try home.write(".aws/credentials", "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n")
        return [
            "HOME": home.path,
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleArn, "AWS_ENDPOINT_URL_STS": base + "/sts",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/v2/credentials/task",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialStubServer.containerToken,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": base
        ]
    }

    private func resolve(_ environment: [String: String]) async throws -> Credentials {
        try await CredentialsChain.standard(
            environment: environment, region: "eu-west-1", transport: LoopbackCurlTransport(),
            clock: CredentialTestClock().clock
        ).credentials()
    }

    @Test func sourcesAreAskedInTheSDKOrder() async throws {
        let home = try CredentialTempHome()
        var environment = try await everySource(home: home)
        #expect(try await resolve(environment).accessKeyId == "AKIAENV")
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        #expect(try await resolve(environment).accessKeyId.hasPrefix("ASIASTSSTUB"))
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = nil
        environment["AWS_ROLE_ARN"] = nil
        #expect(try await resolve(environment).accessKeyId == "AKIAPROFILE")
        try FileManager.default.removeItem(atPath: home.path + "/.aws/credentials")
        #expect(try await resolve(environment).accessKeyId.hasPrefix("ASIACONTAINERSTUB"))
        environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = nil
        #expect(try await resolve(environment).accessKeyId.hasPrefix("ASIAIMDSSTUB"))
    }

    @Test func nothingFoundListsEveryStepWithoutSecrets() async throws {
        let home = try CredentialTempHome()
        let transport = CredentialCountingTransport()
        let chain = try CredentialsChain.standard(environment: isolatedEnvironment(home: home.path), region: nil, transport: transport)
        let error = try #require(await credentialError { try await chain.credentials() })
        let text = "\(error)"
        #expect(text.hasPrefix("no AWS credentials found; tried: "))
        for step in [
            "environment (AWS_ACCESS_KEY_ID not set)", "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)",
            "shared files (profile 'default' not in \(home.path)/.aws/credentials or \(home.path)/.aws/config)",
            "container (", "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"
        ] {
            #expect(text.contains(step), "missing \(step) in: \(text)")
        }
        #expect(transport.requests.isEmpty, "IMDS disabled and nothing else configured: no request may be sent")
    }

    @Test func aBrokenStepStopsTheChainInsteadOfFallingThrough() async throws {
        let home = try CredentialTempHome()
        var environment = try await everySource(home: home)
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let chain = try CredentialsChain.standard(environment: environment, region: nil, transport: transport)
        let error = try #require(await credentialError { try await chain.credentials() })
        #expect(error as? CredentialsError == .missingVariable(name: "AWS_SECRET_ACCESS_KEY", neededBy: "AWS_ACCESS_KEY_ID"))
        #expect(transport.requests.isEmpty)
    }

    @Test func noErrorOfTheChainContainsASecret() async throws {
        let secrets = [
            "env-secret-zz9", "profile-secret-zz9", "session-token-zz9", CredentialStubServer.webIdentityToken,
            CredentialStubServer.containerToken, "stub-sts-secret", "stub-container-secret", "stub-imds-secret"
        ]
        let home = try CredentialTempHome()
        try home.write(".aws/credentials", "[keyonly]\naws_secret_access_key = profile-secret-zz9\naws_session_token = session-token-zz9\n")
        let base = try await CredentialStubServer.shared.baseURL()
        let badSTS = try home.write("bad-token", "wrong-jwt")
        let broken: [[String: String]] = [
            ["AWS_SECRET_ACCESS_KEY": "env-secret-zz9", "AWS_SESSION_TOKEN": "session-token-zz9"],
            ["AWS_PROFILE": "keyonly"],
            ["AWS_PROFILE": "missing"],
            ["AWS_WEB_IDENTITY_TOKEN_FILE": badSTS, "AWS_ROLE_ARN": roleArn, "AWS_ENDPOINT_URL_STS": base + "/sts"],
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/v2/credentials/x", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "env-secret-zz9"],
            [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/x",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialStubServer.containerToken
            ],
            ["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"]
        ]
        for extra in broken {
            let environment = isolatedEnvironment(home: home.path, extra: extra)
            let error = try #require(await credentialError { try await resolve(environment) }, "no error for \(extra.keys.sorted())")
            #expect(!"\(error)".isEmpty && !"\(error)".contains("\n"), "errors are one line: \(error)")
            expectNoSecrets(error, secrets)
        }
    }

    @Test func unreadableSharedFileIsNamed() throws {
        let home = try CredentialTempHome()
        try FileManager.default.createDirectory(atPath: home.path + "/.aws/credentials", withIntermediateDirectories: true)
        #expect(throws: CredentialsError.unreadableFile(path: home.path + "/.aws/credentials", reason: "is a directory")) {
            try CredentialsChain.standard(environment: ["HOME": home.path], region: nil, transport: CredentialCountingTransport())
        }
    }
}
