import Foundation
import SigV4

/// Anything that can hand out AWS credentials: the default chain, one of its steps, a fixed key.
public protocol CredentialsProvider: Sendable {
    /// Credentials valid now; throws `CredentialsError` (never containing a secret) when there are none.
    func credentials() async throws -> Credentials
}

/// The clock the providers read; tests pass one they can move.
public typealias CredentialsClock = @Sendable () -> Date

/// Always the same credentials, e.g. from flags or a test.
public struct StaticCredentialsProvider: CredentialsProvider {
    public let fixed: Credentials

    public init(_ credentials: Credentials) {
        self.fixed = credentials
    }

    public func credentials() async throws -> Credentials { fixed }
}

/// What one step of the chain found: credentials, or a short reason why it does not apply.
///
/// A step that is configured but broken (a key without a secret, STS refusing the token) throws
/// instead, so the chain stops at the real problem rather than falling through to another source.
public enum CredentialsLookup: Sendable {
    case found(Credentials)
    /// Why the step was skipped, e.g. "AWS_ACCESS_KEY_ID not set"; never holds a secret.
    case notConfigured(String)
}

/// One step of the default chain, with the name used in the "tried" list of errors. Each source
/// is also a provider on its own, for callers that want exactly one way of getting credentials.
public protocol CredentialsSource: CredentialsProvider {
    /// Short human name, e.g. "environment" or "EC2 instance metadata".
    var name: String { get }
    func lookup() async throws -> CredentialsLookup
}

extension CredentialsSource {
    /// The source's credentials, or `CredentialsError.notFound` naming why it does not apply.
    public func credentials() async throws -> Credentials {
        switch try await lookup() {
        case .found(let credentials): return credentials
        case .notConfigured(let reason): throw CredentialsError.notFound(tried: ["\(name) (\(reason))"])
        }
    }
}
