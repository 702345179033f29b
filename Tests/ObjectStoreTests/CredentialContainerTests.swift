import Foundation
import ObjectStore
import SigV4
import Testing

@Suite struct CredentialContainerTests {
    @Test func fullURIWithAuthorizationTokenYieldsCredentials() async throws {
        let base = try await CredentialStubServer.shared.baseURL()
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = ContainerCredentialsSource(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/v2/credentials/task",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": CredentialStubServer.containerToken
            ], transport: transport)
        let credentials = try await source.credentials()
        #expect(credentials.accessKeyId.hasPrefix("ASIACONTAINERSTUB"))
        #expect(credentials.secretAccessKey == "stub-container-secret")
        #expect(credentials.sessionToken == "stub-container-session-token")
        #expect(credentials.expiration != nil)
        let request = try #require(transport.requests.first)
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == CredentialStubServer.containerToken })
    }

    @Test func tokenFileWinsOverTokenVariable() async throws {
        let home = try CredentialTempHome()
        let tokenFile = try home.write("eks-pod-identity-token", CredentialStubServer.containerToken + "\n")
        let base = try await CredentialStubServer.shared.baseURL()
        let source = ContainerCredentialsSource(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/v2/credentials/pod",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "stale-token"
            ], transport: LoopbackCurlTransport())
        #expect(try await source.credentials().accessKeyId.hasPrefix("ASIACONTAINERSTUB"))
    }

    @Test func wrongAuthorizationFailsNamingTheURLWithoutTheToken() async throws {
        let base = try await CredentialStubServer.shared.baseURL()
        let source = ContainerCredentialsSource(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": base + "/v2/credentials/task",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong-container-token-77"
            ], transport: LoopbackCurlTransport())
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("HTTP 401"))
        #expect("\(error)".contains(base + "/v2/credentials/task"))
        expectNoSecrets(error, ["wrong-container-token-77"])
    }

    @Test func relativeURIGoesToTheECSAgentAndWinsOverFullURI() async throws {
        let transport = CredentialCountingTransport { request in
            HTTPResponse(
                status: 200, headers: [],
                body: Array(
                    #"{"AccessKeyId":"ASIAECS","SecretAccessKey":"ecs-secret","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#.utf8))
        }
        let source = ContainerCredentialsSource(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/other"
            ], transport: transport)
        let credentials = try await source.credentials()
        #expect(credentials.accessKeyId == "ASIAECS")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_456_000))
        // The counting transport answers in memory: nothing left the process.
        #expect(transport.requests.map(\.url) == ["http://169.254.170.2/v2/credentials/abc"])
    }

    @Test func plainHTTPToAnArbitraryHostIsRefusedBeforeSending() async throws {
        let transport = CredentialCountingTransport()
        let source = ContainerCredentialsSource(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"], transport: transport)
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("only allowed to loopback"))
        // A setting to change, not an endpoint to retry (exit 2, not 1).
        guard case .invalidVariable(let name, _)? = error as? CredentialsError else {
            Issue.record("not a setting's error: \(error)")
            return
        }
        #expect(name == "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        #expect(transport.requests.isEmpty)
    }

    /// An agent answering 5xx or 429 is busy or failing: a failure a rerun may cure; 403 is not.
    @Test(arguments: [(503, true), (429, true), (403, false)])
    func aFailingAgentIsAFailureARerunMayCure(status: Int, transient: Bool) async throws {
        let transport = CredentialCountingTransport { _ in HTTPResponse(status: status, headers: [], body: []) }
        let source = ContainerCredentialsSource(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"], transport: transport)
        let error = try #require(await credentialError { try await source.credentials() })
        var failed = false
        if case .endpointFailed? = error as? CredentialsError { failed = true }
        #expect(failed == transient, "\(error)")
        #expect("\(error)".contains("HTTP \(status)"))
    }

    @Test func allowedHosts() throws {
        for url in [
            "http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/x", "http://169.254.170.23/v1/credentials",
            "https://creds.example.com/x"
        ] {
            #expect(throws: Never.self) { try ContainerCredentialsSource.validateFullURI(url) }
        }
        for url in ["http://10.0.0.1/x", "http://127.0.0.1.example.com/x", "http://169.254.169.254/x", "ftp://127.0.0.1/x", "not a url"] {
            #expect(throws: CredentialsError.self) { try ContainerCredentialsSource.validateFullURI(url) }
        }
    }

    @Test func tokenWithLineBreakIsRefused() async throws {
        let transport = CredentialCountingTransport()
        let source = ContainerCredentialsSource(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/x", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a\r\nX-Evil: 1"
            ], transport: transport)
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
        #expect(transport.requests.isEmpty)
    }
}
