import ObjectStore
import SigV4
import Testing

@Suite struct CredentialEnvironmentTests {
    @Test func keysAndSessionTokenComeFromTheEnvironment() async throws {
        let source = EnvironmentCredentialsSource(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token"
        ])
        let credentials = try await source.credentials()
        #expect(credentials == Credentials(accessKeyId: "AKIAENVEXAMPLE", secretAccessKey: "env-secret", sessionToken: "env-token"))
    }

    @Test func emptyValuesCountAsUnset() async throws {
        let source = EnvironmentCredentialsSource(environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
        guard case .notConfigured(let reason) = try await source.lookup() else {
            Issue.record("empty variables should not be credentials")
            return
        }
        #expect(reason.contains("AWS_ACCESS_KEY_ID"))
    }

    @Test func emptySessionTokenIsDropped() async throws {
        let source = EnvironmentCredentialsSource(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": ""
        ])
        #expect(try await source.credentials().sessionToken == nil)
    }

    @Test func keyWithoutSecretNamesTheMissingVariable() async throws {
        let source = EnvironmentCredentialsSource(environment: ["AWS_ACCESS_KEY_ID": "AKIAENVEXAMPLE"])
        let error = try #require(await credentialError { try await source.credentials() })
        #expect(error as? CredentialsError == .missingVariable(name: "AWS_SECRET_ACCESS_KEY", neededBy: "AWS_ACCESS_KEY_ID"))
        #expect("\(error)".contains("AWS_SECRET_ACCESS_KEY is not set"))
    }

    @Test func secretWithoutKeyNamesTheKeyAndHidesTheSecret() async throws {
        let source = EnvironmentCredentialsSource(environment: ["AWS_SECRET_ACCESS_KEY": "only-the-secret-42"])
        let error = try #require(await credentialError { try await source.credentials() })
        #expect("\(error)".contains("AWS_ACCESS_KEY_ID is not set"))
        expectNoSecrets(error, ["only-the-secret-42"])
    }

    @Test func staticProviderReturnsItsCredentials() async throws {
        let fixed = Credentials(accessKeyId: "AKIASTATIC", secretAccessKey: "static-secret")
        #expect(try await StaticCredentialsProvider(fixed).credentials() == fixed)
    }
}
