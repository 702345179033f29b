import Foundation
import KtapeTestSupport
import ObjectStore
import SigV4
import Testing

/// `credential_process` profiles, run as the AWS CLI runs them (split into words, no shell).
@Suite struct CredentialProcessTests {
    /// Writes an executable script into the home and returns its path.
    static func script(_ home: CredentialTempHome, _ name: String, _ body: String) throws -> String {
        let path = home.path + "/" + name
        try ExecutableScript.write("#!/bin/sh\n" + body + "\n", to: path)
        return path
    }

    static func provider(_ home: CredentialTempHome, profile: String) throws -> CredentialsChain {
        try CredentialsChain.standard(
            environment: isolatedEnvironment(home: home.path), region: nil,
            transport: CredentialCountingTransport(), profile: profile)
    }

    @Test func processOutputBecomesCredentialsWithArgumentsSplitLikeAShell() async throws {
        let home = try CredentialTempHome()
        try FileManager.default.createDirectory(atPath: home.path + "/with space", withIntermediateDirectories: true)
        // The script echoes its second argument into the token, so the test sees how the command was split.
        let script = try Self.script(
            home, "with space/creds",
            """
            printf '{"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": "process-secret", "SessionToken": "%s", "Expiration": "2031-01-02T03:04:05Z"}' "$2"
            """)
        try home.write(
            ".aws/config",
            """
            [profile vault]
            credential_process = "\(script)" --token 'two words' ignored
            """)
        let credentials = try await Self.provider(home, profile: "vault").credentials()
        #expect(credentials.accessKeyId == "AKIAPROCESS")
        #expect(credentials.secretAccessKey == "process-secret")
        #expect(credentials.sessionToken == "two words")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_925_089_445))
    }

    @Test func failuresNameTheProfileAndNeverTheOutput() async throws {
        let home = try CredentialTempHome()
        let failing = try Self.script(
            home, "failing", "echo 'vault is sealed' >&2; echo '{\"SecretAccessKey\": \"leaked-secret\"}'; exit 3")
        let noVersion = try Self.script(home, "no-version", #"echo '{"AccessKeyId": "AKIA", "SecretAccessKey": "leaked-secret"}'"#)
        let notJSON = try Self.script(home, "not-json", "echo leaked-secret")
        try home.write(
            ".aws/config",
            """
            [profile failing]
            credential_process = \(failing) --password hunter2
            [profile no-version]
            credential_process = \(noVersion)
            [profile not-json]
            credential_process = \(notJSON)
            [profile missing]
            credential_process = /nonexistent/creds-helper
            [profile unbalanced]
            credential_process = "/bin/echo
            """)
        for (profile, expected) in [
            ("failing", "credential_process `\(failing)` exited with status 3: vault is sealed"),
            ("no-version", "needs \"Version\": 1"),
            ("not-json", "printed no JSON object"),
            ("missing", "exited with status 127"),
            ("unbalanced", "unbalanced quote")
        ] {
            let chain = try Self.provider(home, profile: profile)
            let error = try #require(await credentialError { try await chain.credentials() })
            #expect("\(error)".hasPrefix("AWS profile '\(profile)': "), "\(error)")
            #expect("\(error)".contains(expected), "\(error)")
            expectNoSecrets(error, ["leaked-secret", "hunter2"])
        }
    }

    @Test func processCanBeTheSourceOfARole() async throws {
        let stub = try await CredentialStubServer.shared.baseURL(CredentialRoleTests.stubOptions)
        let home = try CredentialTempHome()
        let script = try Self.script(
            home, "creds", #"echo '{"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": "process-secret"}'"#)
        let role = CredentialRoleTests.uniqueRole("from-process")
        try home.write(
            ".aws/config",
            """
            [profile helper]
            credential_process = \(script)
            [profile role]
            role_arn = \(role)
            source_profile = helper
            """)
        let environment = isolatedEnvironment(home: home.path, extra: ["AWS_ENDPOINT_URL_STS": stub + "/sts"])
        let credentials = try await CredentialsChain.standard(
            environment: environment, region: "eu-west-1",
            transport: LoopbackCurlTransport(), profile: "role"
        ).credentials()
        #expect(credentials.accessKeyId.hasPrefix("ASIAROLESTUB"))
        #expect(try await CredentialRoleTests.log(stub, role: role).map(\.signedBy) == ["AKIAPROCESS"])
    }
}
