import Foundation
import ObjectStore
import SigV4
import Testing

/// Profiles with `role_arn` against scripts/credential-stubs' STS AssumeRole, which checks each
/// request's SigV4 signature against the secret of the key that signed it.
@Suite struct CredentialRoleTests {
    static let account = "arn:aws:iam::111122223333:role/"
    static let stubOptions = [
        "--known-key", "AKIASOURCE=source-secret", "--known-key", "AKIAPROCESS=process-secret",
        "--external-id", account + "needs-external-id=ext-42", "--deny-role", account + "denied"
    ]

    struct LogEntry: Decodable {
        var roleArn: String
        var sessionName: String
        var externalId: String?
        var durationSeconds: Int?
        var signedBy: String?
    }

    /// A home whose config sends STS to the stub through a `services` section (no AWS_ENDPOINT_URL_STS).
    static func home(_ profiles: String) async throws -> (home: CredentialTempHome, stub: String) {
        let stub = try await CredentialStubServer.shared.baseURL(stubOptions)
        let home = try CredentialTempHome()
        try home.write(
            ".aws/config",
            """
            [services stub]
            sts =
              endpoint_url = \(stub)/sts
            [profile source]
            aws_access_key_id = AKIASOURCE
            aws_secret_access_key = source-secret
            \(profiles)
            """)
        return (home, stub)
    }

    static func provider(_ home: CredentialTempHome, profile: String, clock: CredentialTestClock? = nil) throws
        -> CachingCredentialsProvider
    {
        let environment = isolatedEnvironment(home: home.path, extra: ["AWS_REGION": "eu-west-1"])
        return try CredentialsChain.defaultProvider(
            environment: environment, region: "eu-west-1", transport: LoopbackCurlTransport(),
            clock: clock?.clock ?? { @Sendable in Date() }, profile: profile)
    }

    static func log(_ stub: String, role: String) async throws -> [LogEntry] {
        let response = try await LoopbackCurlTransport().send(HTTPRequest(method: "GET", url: stub + "/_stub/assume-role-log"))
        return try JSONDecoder().decode([LogEntry].self, from: Data(response.body)).filter { $0.roleArn == role }
    }

    static func uniqueRole(_ name: String) -> String { account + name + "-" + UUID().uuidString.prefix(8) }

    @Test func roleWithSourceProfileIsAssumedWithItsKeysAndSettings() async throws {
        let role = Self.uniqueRole("backup")
        let (home, stub) = try await Self.home(
            """
            [profile backup]
            role_arn = \(role)
            source_profile = source
            role_session_name = nightly-backup
            duration_seconds = 1800
            services = stub
            """)
        let credentials = try await Self.provider(home, profile: "backup").credentials()
        #expect(credentials.accessKeyId.hasPrefix("ASIAROLESTUB"))
        #expect(credentials.sessionToken?.hasPrefix("stub-role-session-") == true)
        #expect(credentials.expiration != nil)
        let calls = try await Self.log(stub, role: role)
        #expect(calls.count == 1)
        #expect(calls.first?.signedBy == "AKIASOURCE")
        #expect(calls.first?.sessionName == "nightly-backup")
        #expect(calls.first?.durationSeconds == 1800)
        #expect(calls.first?.externalId == nil)
    }

    @Test func rolesChainEachSignedByTheOneBefore() async throws {
        let first = Self.uniqueRole("hop-one")
        let second = Self.uniqueRole("hop-two")
        let (home, stub) = try await Self.home(
            """
            [profile hop-one]
            role_arn = \(first)
            source_profile = source
            services = stub
            [profile hop-two]
            role_arn = \(second)
            source_profile = hop-one
            services = stub
            """)
        let credentials = try await Self.provider(home, profile: "hop-two").credentials()
        let firstCalls = try await Self.log(stub, role: first)
        let secondCalls = try await Self.log(stub, role: second)
        #expect(firstCalls.map(\.signedBy) == ["AKIASOURCE"])
        // The second role is signed by the keys the first AssumeRole handed out, and hands out others.
        let middleKey = try #require(secondCalls.first?.signedBy)
        #expect(secondCalls.count == 1 && middleKey.hasPrefix("ASIAROLESTUB"))
        #expect(credentials.accessKeyId.hasPrefix("ASIAROLESTUB") && credentials.accessKeyId != middleKey)
        #expect(secondCalls.first?.sessionName.hasPrefix("ktape-") == true)
    }

    @Test func externalIdIsSentAndAWrongOneIsRefusedNamingProfileAndRole() async throws {
        let role = Self.account + "needs-external-id"
        let (home, stub) = try await Self.home(
            """
            [profile partner]
            role_arn = \(role)
            source_profile = source
            external_id = ext-42
            role_session_name = partner-\(UUID().uuidString.prefix(8))
            services = stub
            [profile wrong-id]
            role_arn = \(role)
            source_profile = source
            external_id = ext-41
            services = stub
            """)
        _ = try await Self.provider(home, profile: "partner").credentials()
        #expect(try await Self.log(stub, role: role).contains { $0.externalId == "ext-42" && $0.signedBy == "AKIASOURCE" })
        let provider = try Self.provider(home, profile: "wrong-id")
        let error = try #require(await credentialError { try await provider.credentials() })
        #expect("\(error)".contains("AWS profile 'wrong-id': STS AssumeRole for \(role)"))
        #expect("\(error)".contains("AccessDenied"))
        expectNoSecrets(error, ["source-secret"])
    }

    @Test func deniedRoleAndUnknownSourceKeyAreErrorsNamingTheProfile() async throws {
        let (home, _) = try await Self.home(
            """
            [profile denied]
            role_arn = \(Self.account)denied
            source_profile = source
            services = stub
            [profile stranger]
            role_arn = \(Self.uniqueRole("any"))
            source_profile = stranger-keys
            services = stub
            [profile stranger-keys]
            aws_access_key_id = AKIANOBODYKNOWS
            aws_secret_access_key = unknown-secret
            """)
        let denied = try Self.provider(home, profile: "denied")
        let deniedError = try #require(await credentialError { try await denied.credentials() })
        #expect("\(deniedError)".contains("AWS profile 'denied'") && "\(deniedError)".contains("HTTP 403 AccessDenied"))
        let stranger = try Self.provider(home, profile: "stranger")
        let strangerError = try #require(await credentialError { try await stranger.credentials() })
        #expect("\(strangerError)".contains("AWS profile 'stranger'") && "\(strangerError)".contains("InvalidClientTokenId"))
        expectNoSecrets(strangerError, ["unknown-secret", "source-secret"])
    }

    @Test func assumedRoleIsRefreshedBeforeItExpires() async throws {
        let role = Self.uniqueRole("refresh")
        let (home, stub) = try await Self.home(
            """
            [profile refresh]
            role_arn = \(role)
            source_profile = source
            services = stub
            """)
        let clock = CredentialTestClock(Date())
        let provider = try Self.provider(home, profile: "refresh", clock: clock)
        let first = try await provider.credentials()
        let expiration = try #require(first.expiration)
        #expect(try await provider.credentials() == first)  // cached: no second call
        #expect(try await Self.log(stub, role: role).count == 1)
        // Inside the five minutes before expiry: the next use assumes the role again.
        clock.advance(expiration.timeIntervalSince(clock.now) - 299)
        let second = try await provider.credentials()
        #expect(second.accessKeyId != first.accessKeyId)
        #expect(try await Self.log(stub, role: role).count == 2)
    }

    @Test func selfReferenceCredentialSourceAndBrokenChainsAreHandled() async throws {
        let selfRole = Self.uniqueRole("self")
        let envRole = Self.uniqueRole("env")
        let (home, stub) = try await Self.home(
            """
            [profile itself]
            aws_access_key_id = AKIASOURCE
            aws_secret_access_key = source-secret
            role_arn = \(selfRole)
            source_profile = itself
            services = stub
            [profile from-env]
            role_arn = \(envRole)
            credential_source = Environment
            services = stub
            [profile loop-a]
            role_arn = \(Self.account)a
            source_profile = loop-b
            [profile loop-b]
            role_arn = \(Self.account)b
            source_profile = loop-a
            [profile dangling]
            role_arn = \(Self.account)c
            source_profile = nowhere
            [profile lonely]
            role_arn = \(Self.account)d
            [profile mfa]
            role_arn = \(Self.account)e
            source_profile = source
            mfa_serial = arn:aws:iam::111122223333:mfa/me
            """)
        _ = try await Self.provider(home, profile: "itself").credentials()
        #expect(try await Self.log(stub, role: selfRole).map(\.signedBy) == ["AKIASOURCE"])

        // credential_source = Environment reads the keys even though --profile leaves the chain's environment step out.
        let environment = isolatedEnvironment(
            home: home.path, extra: ["AWS_ACCESS_KEY_ID": "AKIAPROCESS", "AWS_SECRET_ACCESS_KEY": "process-secret"])
        let fromEnvironment = try CredentialsChain.defaultProvider(
            environment: environment, region: "eu-west-1",
            transport: LoopbackCurlTransport(), profile: "from-env")
        _ = try await fromEnvironment.credentials()
        #expect(try await Self.log(stub, role: envRole).map(\.signedBy) == ["AKIAPROCESS"])

        for (profile, expected) in [
            ("loop-a", "role chain loops: loop-a → loop-b → loop-a"),
            ("dangling", "source_profile 'nowhere' is not in"),
            ("lonely", "role_arn needs source_profile, credential_source or web_identity_token_file"),
            ("mfa", "mfa_serial")
        ] {
            let provider = try Self.provider(home, profile: profile)
            let error = try #require(await credentialError { try await provider.credentials() })
            #expect("\(error)".contains(expected), "\(profile): \(error)")
            expectNoSecrets(error, ["source-secret"])
        }
    }
}
