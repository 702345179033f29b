import SigV4

/// Step 1 of the chain: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN`.
///
/// Empty values count as unset, as in the AWS CLI. One of the pair without the other is an error
/// naming the missing variable rather than a silent fall-through to another source.
public struct EnvironmentCredentialsSource: CredentialsSource {
    public let name = "environment"
    private let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func lookup() async throws -> CredentialsLookup {
        let keyId = environment.nonEmpty("AWS_ACCESS_KEY_ID")
        let secret = environment.nonEmpty("AWS_SECRET_ACCESS_KEY")
        switch (keyId, secret) {
        case (nil, nil):
            return .notConfigured("AWS_ACCESS_KEY_ID not set")
        case (_?, nil):
            throw CredentialsError.missingVariable(name: "AWS_SECRET_ACCESS_KEY", neededBy: "AWS_ACCESS_KEY_ID")
        case (nil, _?):
            throw CredentialsError.missingVariable(name: "AWS_ACCESS_KEY_ID", neededBy: "AWS_SECRET_ACCESS_KEY")
        case (let keyId?, let secret?):
            return .found(
                Credentials(
                    accessKeyId: keyId, secretAccessKey: secret,
                    sessionToken: environment.nonEmpty("AWS_SESSION_TOKEN")))
        }
    }
}

extension Dictionary where Key == String, Value == String {
    /// The variable's value, or nil when unset or empty (the AWS tools treat both alike).
    func nonEmpty(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }
}
