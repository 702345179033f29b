import Foundation
import ObjectStore
import SigV4
import Testing

@Suite struct CredentialInstanceMetadataTests {
    @Test func imdsV2TokenThenRoleThenCredentials() async throws {
        let base = try await CredentialStubServer.shared.baseURL()
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = InstanceMetadataCredentialsSource(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": base + "/"], transport: transport)
        let credentials = try await source.credentials()
        #expect(credentials.accessKeyId.hasPrefix("ASIAIMDSSTUB"))
        #expect(credentials.secretAccessKey == "stub-imds-secret")
        #expect(credentials.sessionToken == "stub-imds-session-token")
        #expect(credentials.expiration != nil)

        let requests = transport.requests
        #expect(requests.map(\.method) == ["PUT", "GET", "GET"])
        #expect(
            requests.map(\.url) == [
                base + "/latest/api/token", base + "/latest/meta-data/iam/security-credentials/",
                base + "/latest/meta-data/iam/security-credentials/ktape-stub-role"
            ])
        #expect(requests[0].headers.contains { $0.name == "X-aws-ec2-metadata-token-ttl-seconds" && $0.value == "21600" })
        #expect(requests[1].headers.contains { $0.name == "X-aws-ec2-metadata-token" })
        #expect(requests.allSatisfy { $0.timeout == 1 }, "a machine without IMDS must fail fast")
    }

    @Test func fallsBackToIMDSv1WhenNoTokenIsOffered() async throws {
        let base = try await CredentialStubServer.shared.baseURL(["--imds-v1-only"])
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = InstanceMetadataCredentialsSource(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": base], transport: transport)
        #expect(try await source.credentials().accessKeyId.hasPrefix("ASIAIMDSSTUB"))
        #expect(!transport.requests.dropFirst().contains { request in request.headers.contains { $0.name == "X-aws-ec2-metadata-token" } })
    }

    @Test func imdsV1FallbackCanBeDisabled() async throws {
        let base = try await CredentialStubServer.shared.baseURL(["--imds-v1-only"])
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let source = InstanceMetadataCredentialsSource(
            environment: [
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": base,
                "AWS_EC2_METADATA_V1_DISABLED": "true"
            ], transport: transport)
        guard case .notConfigured(let reason) = try await source.lookup() else {
            Issue.record("IMDSv1 was used although disabled")
            return
        }
        #expect(reason.contains("AWS_EC2_METADATA_V1_DISABLED"))
        #expect(transport.requests.count == 1)
    }

    @Test func instanceWithoutRoleIsSkipped() async throws {
        let base = try await CredentialStubServer.shared.baseURL(["--imds-role", ""])
        let source = InstanceMetadataCredentialsSource(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": base], transport: LoopbackCurlTransport())
        guard case .notConfigured(let reason) = try await source.lookup() else {
            Issue.record("no role should mean no credentials")
            return
        }
        #expect(reason.contains("no IAM role"))
    }

    @Test func disabledSendsNothing() async throws {
        for value in ["true", "TRUE", "True"] {
            let transport = CredentialCountingTransport()
            let source = InstanceMetadataCredentialsSource(environment: ["AWS_EC2_METADATA_DISABLED": value], transport: transport)
            guard case .notConfigured(let reason) = try await source.lookup() else {
                Issue.record("disabled IMDS returned credentials")
                return
            }
            #expect(reason.contains("AWS_EC2_METADATA_DISABLED"))
            #expect(transport.requests.isEmpty)
        }
    }

    @Test func unreachableEndpointIsSkippedNamingIt() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let source = InstanceMetadataCredentialsSource(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"],
            transport: LoopbackCurlTransport())
        guard case .notConfigured(let reason) = try await source.lookup() else {
            Issue.record("an unreachable IMDS returned credentials")
            return
        }
        #expect(reason.contains("http://127.0.0.1:1/latest/api/token"))
    }

    @Test func endpointSelection() {
        let transport = CredentialCountingTransport()
        #expect(InstanceMetadataCredentialsSource(environment: [:], transport: transport).endpoint == "http://169.254.169.254")
        #expect(
            InstanceMetadataCredentialsSource(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"], transport: transport)
                .endpoint
                == "http://[fd00:ec2::254]")
        #expect(
            InstanceMetadataCredentialsSource(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8/"], transport: transport
            ).endpoint
                == "http://127.0.0.1:8")
        #expect(transport.requests.isEmpty)
    }

    /// A metadata service that answers 5xx or 429, at any of its three requests, is there but failing:
    /// a failure a rerun may cure (exit 1), not "no credentials found" (exit 2).
    @Test(arguments: [(503, "PUT"), (429, "PUT"), (500, "list"), (503, "role")])
    func failingOrThrottlingServiceIsAFailureARerunMayCure(status: Int, at step: String) async throws {
        let transport = CredentialCountingTransport { request in
            let current = request.method == "PUT" ? "PUT" : request.url.hasSuffix("/security-credentials/") ? "list" : "role"
            if current == step { return HTTPResponse(status: status, headers: [], body: []) }
            if current == "PUT" { return HTTPResponse(status: 200, headers: [], body: Array("tok".utf8)) }
            return HTTPResponse(status: 200, headers: [], body: Array("role-a\n".utf8))
        }
        let source = InstanceMetadataCredentialsSource(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"], transport: transport)
        do {
            let lookup = try await source.lookup()
            Issue.record("expected a failure, got \(lookup)")
        } catch let error as CredentialsError {
            guard case .endpointFailed = error else {
                Issue.record("not a failure a rerun may cure: \(error)")
                return
            }
            #expect("\(error)".contains("HTTP \(status)"), "\(error)")
        }
    }

    @Test func failureCodeInDocumentIsReported() async throws {
        let transport = CredentialCountingTransport { request in
            if request.method == "PUT" { return HTTPResponse(status: 200, headers: [], body: Array("tok".utf8)) }
            if request.url.hasSuffix("/security-credentials/") {
                return HTTPResponse(status: 200, headers: [], body: Array("role-a\n".utf8))
            }
            return HTTPResponse(status: 200, headers: [], body: Array(#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"}"#.utf8))
        }
        let source = InstanceMetadataCredentialsSource(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"], transport: transport)
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("role role-a"))
        #expect("\(error)".contains("AssumeRoleUnauthorizedAccess"))
    }
}
