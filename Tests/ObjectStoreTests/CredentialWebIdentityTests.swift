import Foundation
import ObjectStore
import SigV4
import Testing

@Suite struct CredentialWebIdentityTests {
    private let roleArn = "arn:aws:iam::123456789012:role/ktape-backup"

    private func environment(home: CredentialTempHome, token: String, extra: [String: String] = [:]) async throws -> [String: String] {
        let tokenFile = try home.write("token", token + "\n")
        let base = try await CredentialStubServer.shared.baseURL()
        return isolatedEnvironment(
            home: home.path,
            extra: [
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleArn, "AWS_ENDPOINT_URL_STS": base + "/sts"
            ].merging(extra) { _, new in new })
    }

    @Test func tokenFileIsTradedForTemporaryCredentialsAtSTS() async throws {
        let home = try CredentialTempHome()
        let environment = try await environment(
            home: home, token: CredentialStubServer.webIdentityToken,
            extra: ["AWS_ROLE_SESSION_NAME": "nightly"])
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = WebIdentityCredentialsSource(
            environment: environment, region: "eu-west-1", transport: transport,
            clock: CredentialTestClock().clock)
        let credentials = try await source.credentials()
        #expect(credentials.accessKeyId.hasPrefix("ASIASTSSTUB"))
        #expect(credentials.secretAccessKey == "stub-sts-secret")
        #expect(credentials.sessionToken == "stub-sts-session-token")
        let expiration = try #require(credentials.expiration)
        #expect(expiration > Date().addingTimeInterval(3000))

        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("RoleSessionName=nightly"))
        #expect(body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fktape-backup"))
        #expect(!request.headers.contains { $0.name.lowercased() == "authorization" }, "AssumeRoleWithWebIdentity is unsigned")
    }

    @Test func rejectedTokenFailsWithTheSTSErrorCodeAndNoToken() async throws {
        let home = try CredentialTempHome()
        let environment = try await environment(home: home, token: "not-the-right-jwt")
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = WebIdentityCredentialsSource(
            environment: environment, region: nil, transport: transport,
            clock: CredentialTestClock().clock)
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("InvalidIdentityToken"))
        #expect("\(error)".contains(roleArn))
        #expect(transport.requests.count == 1, "a rejected token is not retried")
        expectNoSecrets(error, ["not-the-right-jwt"])
    }

    @Test func roleWithoutTokenFileAndTokenFileWithoutRoleNameTheMissingVariable() async throws {
        let transport = CredentialCountingTransport()
        let noRole = WebIdentityCredentialsSource(
            environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": "/tmp/t"], region: nil,
            transport: transport, clock: CredentialTestClock().clock)
        let noFile = WebIdentityCredentialsSource(
            environment: ["AWS_ROLE_ARN": roleArn], region: nil,
            transport: transport, clock: CredentialTestClock().clock)
        #expect(
            await credentialError { try await noRole.credentials() } as? CredentialsError
                == .missingVariable(name: "AWS_ROLE_ARN", neededBy: "AWS_WEB_IDENTITY_TOKEN_FILE"))
        #expect(
            await credentialError { try await noFile.credentials() } as? CredentialsError
                == .missingVariable(name: "AWS_WEB_IDENTITY_TOKEN_FILE", neededBy: "AWS_ROLE_ARN"))
        #expect(transport.requests.isEmpty)
    }

    @Test func missingTokenFileIsNamed() async throws {
        let transport = CredentialCountingTransport()
        let source = WebIdentityCredentialsSource(
            environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent/ktape-token", "AWS_ROLE_ARN": roleArn],
            region: nil, transport: transport, clock: CredentialTestClock().clock)
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("/nonexistent/ktape-token"))
        #expect(transport.requests.isEmpty)
    }

    @Test func profileWebIdentityUsesItsOwnTokenFileAndRole() async throws {
        let home = try CredentialTempHome()
        try home.write("profile-token", CredentialStubServer.webIdentityToken)
        try home.write(
            ".aws/config",
            """
            [profile irsa]
            web_identity_token_file = ~/profile-token
            role_arn = \(roleArn)
            role_session_name = from-profile
            """)
        let base = try await CredentialStubServer.shared.baseURL()
        let environment = isolatedEnvironment(home: home.path, extra: ["AWS_PROFILE": "irsa", "AWS_ENDPOINT_URL_STS": base + "/sts"])
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = ProfileCredentialsSource(
            files: try SharedConfigFiles.load(environment: environment), environment: environment,
            region: nil, transport: transport, clock: CredentialTestClock().clock)
        let credentials = try await source.credentials()
        #expect(credentials.accessKeyId.hasPrefix("ASIASTSSTUB"))
        #expect(String(decoding: try #require(transport.requests.first).body, as: UTF8.self).contains("RoleSessionName=from-profile"))
    }

    @Test func stsEndpointIsOverriddenElseRegionalElseGlobal() {
        #expect(
            WebIdentityCredentialsSource.stsEndpoint(environment: ["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1/sts"], region: "eu-west-1")
                == "http://127.0.0.1:1/sts")
        #expect(WebIdentityCredentialsSource.stsEndpoint(environment: [:], region: "eu-west-1") == "https://sts.eu-west-1.amazonaws.com")
        #expect(
            WebIdentityCredentialsSource.stsEndpoint(environment: [:], region: "cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn")
        #expect(WebIdentityCredentialsSource.stsEndpoint(environment: [:], region: nil) == "https://sts.amazonaws.com")
        #expect(
            WebIdentityCredentialsSource.stsEndpoint(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"], region: "eu-west-1")
                == "https://sts.eu-west-1.amazonaws.com", "the S3 endpoint override must not redirect STS")
    }

    @Test func prettyPrintedAnswerWithEntitiesIsRead() async throws {
        let home = try CredentialTempHome()
        let tokenFile = try home.write("token", "jwt")
        let transport = CredentialCountingTransport { _ in
            HTTPResponse(
                status: 200, headers: [],
                body: Array(
                    """
                    <?xml version="1.0"?>
                    <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                      <AssumeRoleWithWebIdentityResult>
                        <Credentials>
                          <AccessKeyId>ASIAPRETTY</AccessKeyId>
                          <SecretAccessKey>pretty/secret+key</SecretAccessKey>
                          <SessionToken>a&amp;b&#x3D;</SessionToken>
                          <Expiration>2030-01-01T00:00:00.000Z</Expiration>
                        </Credentials>
                      </AssumeRoleWithWebIdentityResult>
                    </AssumeRoleWithWebIdentityResponse>
                    """.utf8))
        }
        let source = WebIdentityCredentialsSource(
            environment: [
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleArn,
                "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9/"
            ],
            region: nil, transport: transport, clock: CredentialTestClock().clock)
        let credentials = try await source.credentials()
        #expect(
            credentials
                == Credentials(
                    accessKeyId: "ASIAPRETTY", secretAccessKey: "pretty/secret+key", sessionToken: "a&b=",
                    expiration: Date(timeIntervalSince1970: 1_893_456_000)))
    }

    @Test func nonXMLErrorPageReportsTheStatus() async throws {
        let home = try CredentialTempHome()
        let tokenFile = try home.write("token", "jwt")
        let transport = CredentialCountingTransport { _ in
            HTTPResponse(status: 503, headers: [], body: Array("<html><body>Service Unavailable</body></html>".utf8))
        }
        let source = WebIdentityCredentialsSource(
            environment: [
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleArn,
                "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9/"
            ],
            region: nil, transport: transport, clock: CredentialTestClock().clock)
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("HTTP 503"))
        #expect("\(error)".contains("http://127.0.0.1:9/"))
        #expect(transport.requests.count == 2, "a 5xx is tried once more")
    }

    @Test func transientIdentityProviderErrorIsRetriedOnce() async throws {
        let home = try CredentialTempHome()
        let tokenFile = try home.write("token", CredentialStubServer.webIdentityToken)
        let base = try await CredentialStubServer.shared.baseURL()
        let calls = CredentialCountingTransport()
        let transport = CredentialCountingTransport { request in
            _ = try? await calls.send(request)
            if calls.requests.count == 1 {
                return HTTPResponse(
                    status: 400, headers: [],
                    body: Array(
                        "<ErrorResponse><Error><Code>IDPCommunicationError</Code><Message>try again</Message></Error></ErrorResponse>".utf8)
                )
            }
            return try await LoopbackCurlTransport().send(request)
        }
        let source = WebIdentityCredentialsSource(
            environment: [
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": roleArn,
                "AWS_ENDPOINT_URL_STS": base + "/sts"
            ],
            region: nil, transport: transport, clock: CredentialTestClock().clock)
        #expect(try await source.credentials().accessKeyId.hasPrefix("ASIASTSSTUB"))
        #expect(transport.requests.count == 2)
    }
}
