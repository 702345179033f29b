import Foundation
import ObjectStore
import SigV4
import Testing

@Suite struct CredentialProfileTests {
    private func source(_ environment: [String: String]) throws -> ProfileCredentialsSource {
        ProfileCredentialsSource(
            files: try SharedConfigFiles.load(environment: environment), environment: environment,
            region: nil, transport: CredentialCountingTransport(), clock: CredentialTestClock().clock)
    }

    @Test func readsDefaultProfileIgnoringCommentsAndSubProperties() async throws {
        let home = try CredentialTempHome()
        try home.write(
            ".aws/credentials",
            """
            # a comment
            ; another comment
            [default]
            aws_access_key_id = AKIADEFAULT   # inline comment
            s3 =
              max_concurrent_requests = 10
            aws_secret_access_key=default#secret
            aws_session_token =\tdefault-token ; trailing
            """)
        let credentials = try await source(["HOME": home.path]).credentials()
        #expect(credentials == Credentials(accessKeyId: "AKIADEFAULT", secretAccessKey: "default#secret", sessionToken: "default-token"))
    }

    @Test func namedProfileFromConfigFileUsesProfilePrefix() async throws {
        let home = try CredentialTempHome()
        try home.write(
            ".aws/config",
            """
            [default]
            region = eu-west-1
            [profile backup]
            aws_access_key_id = AKIACONFIG
            aws_secret_access_key = config-secret
            [sso-session corp]
            sso_region = eu-west-1
            """)
        let credentials = try await source(["HOME": home.path, "AWS_PROFILE": "backup"]).credentials()
        #expect(credentials.accessKeyId == "AKIACONFIG")
    }

    @Test func credentialsFileWinsOverConfigFile() async throws {
        let home = try CredentialTempHome()
        try home.write(".aws/config", "[profile backup]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = config-secret\n")
        try home.write(".aws/credentials", "[backup]\naws_access_key_id = AKIACREDS\naws_secret_access_key = creds-secret\n")
        let credentials = try await source(["HOME": home.path, "AWS_PROFILE": "backup"]).credentials()
        #expect(credentials == Credentials(accessKeyId: "AKIACREDS", secretAccessKey: "creds-secret"))
    }

    @Test func filesNamedByVariablesReplaceHomePaths() async throws {
        let home = try CredentialTempHome()
        try home.write(".aws/credentials", "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = home-secret\n")
        let elsewhere = try home.write(
            "other-credentials", "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other-secret\n")
        let credentials = try await source(["HOME": home.path, "AWS_SHARED_CREDENTIALS_FILE": elsewhere]).credentials()
        #expect(credentials.accessKeyId == "AKIAOTHER")
    }

    @Test func namedProfileThatDoesNotExistIsAnErrorNamingIt() async throws {
        let home = try CredentialTempHome()
        try home.write(".aws/credentials", "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n")
        let profileSource = try source(["HOME": home.path, "AWS_PROFILE": "nightly"])
        let error = try #require(await credentialError { try await profileSource.lookup() })
        #expect("\(error)".contains("AWS profile 'nightly' not found"))
        #expect("\(error)".contains(home.path + "/.aws/credentials"))
        expectNoSecrets(error, ["default-secret"])
    }

    @Test func missingDefaultProfileIsSkippedNotAnError() async throws {
        let home = try CredentialTempHome()
        guard case .notConfigured(let reason) = try await source(["HOME": home.path]).lookup() else {
            Issue.record("no files should mean no credentials")
            return
        }
        #expect(reason.contains("profile 'default'"))
    }

    @Test func keyWithoutSecretInProfileIsAnError() async throws {
        let home = try CredentialTempHome()
        try home.write(".aws/credentials", "[default]\naws_access_key_id = AKIADEFAULT\n")
        let error = try #require(await credentialError { try await source(["HOME": home.path]).credentials() })
        #expect("\(error)".contains("aws_secret_access_key is missing"))
    }

    @Test func ssoIsReportedUnsupportedAndAChainNeedsItsSourceProfile() async throws {
        let home = try CredentialTempHome()
        try home.write(
            ".aws/config",
            """
            [profile sso]
            sso_session = corp
            [profile chained]
            role_arn = arn:aws:iam::123456789012:role/backup
            source_profile = default
            """)
        let sso = try #require(await credentialError { try await source(["HOME": home.path, "AWS_PROFILE": "sso"]).credentials() })
        #expect("\(sso)".contains("SSO profiles are not supported"))
        let chained = try #require(await credentialError { try await source(["HOME": home.path, "AWS_PROFILE": "chained"]).credentials() })
        #expect("\(chained)".contains("source_profile"))
    }

    @Test func profileWithOnlyARegionIsSkipped() async throws {
        let home = try CredentialTempHome()
        try home.write(".aws/config", "[default]\nregion = eu-west-1\n")
        guard case .notConfigured(let reason) = try await source(["HOME": home.path]).lookup() else {
            Issue.record("a region alone is not credentials")
            return
        }
        #expect(reason.contains("has no credentials"))
    }
}

struct CredentialFileSwitchTests {
    /// `/dev/null` is how people switch a shared file off: it reads as empty, not as an error.
    @Test func devNullReadsAsAnEmptyFile() throws {
        let files = try SharedConfigFiles.load(environment: ["AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        #expect(files.region == nil)
        #expect(files.profile("default") == nil)
    }

    @Test func nonUTF8FileIsNamed() throws {
        let path = NSTemporaryDirectory() + "ktape-config-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: URL(fileURLWithPath: path))
        #expect(throws: CredentialsError.unreadableFile(path: path, reason: "not readable as UTF-8 text")) {
            try SharedConfigFiles.load(environment: ["AWS_CONFIG_FILE": path, "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        }
    }
}

struct URLRedactionTests {
    @Test func passwordsAndQueriesNeverReachAnErrorLine() {
        #expect(URLRedaction.redacted("http://u:pw-secret@127.0.0.1:1/creds?token=abc") == "http://127.0.0.1:1/creds")
        #expect(URLRedaction.redacted("https://host/a@b?x=1") == "https://host/a@b")
        #expect(URLRedaction.redacted("http://127.0.0.1:9/p") == "http://127.0.0.1:9/p")
        let error = CredentialsError.endpointFailed(
            source: "container credentials", url: "http://u:pw-secret@127.0.0.1:1/c?token=t", reason: "refused")
        #expect(!error.description.contains("pw-secret") && !error.description.contains("token=t"))
    }
}
