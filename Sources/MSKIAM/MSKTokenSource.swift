import Dispatch
import Foundation
import Kafka
import ObjectStore
import SigV4

/// Amazon MSK IAM authentication for every Kafka client of a run: librdkafka speaks SASL_SSL with
/// OAUTHBEARER, and the token comes from `MSKAuthToken`, signed with the credentials of the AWS chain.
public struct MSKIAMAuthentication: Sendable {
    /// What `--msk-iam` sets before the user's `-X` properties (which may override them, e.g.
    /// `security.protocol=SASL_PLAINTEXT` for a test broker).
    public static let kafkaProperties: [(String, String)] = [("security.protocol", "SASL_SSL"), ("sasl.mechanism", "OAUTHBEARER")]

    public let region: ResolvedRegion
    private let source: MSKTokenSource

    public init(
        region: ResolvedRegion, credentials: any CredentialsProvider, userAgent: String = MSKAuthToken.defaultUserAgent,
        clock: @escaping CredentialsClock = { Date() }
    ) {
        self.region = region
        source = MSKTokenSource(region: region.region, credentials: credentials, userAgent: userAgent, clock: clock)
    }

    /// Adds the SASL properties (before any the config already has, so the user's win) and the token provider.
    public func configure(_ config: KafkaConfig) throws -> KafkaConfig {
        var configured = KafkaConfig(bootstrapServers: config.bootstrapServers)
        for (key, value) in Self.kafkaProperties { try configured.set(key, value) }
        for (key, value) in config.properties { try configured.set(key, value) }
        configured.logHandler = config.logHandler
        let source = self.source
        configured.oauthBearerTokenProvider = { try source.token() }
        return configured
    }

    /// A token now (for diagnostics and tests); librdkafka gets its own through the provider.
    public func token() throws -> KafkaOAuthBearerToken { try source.token() }
}

/// Makes tokens on librdkafka's background thread: fetches credentials (cached and refreshed ahead
/// of their expiry by the provider), signs, and caps the token's lifetime at the credentials' own
/// expiry, so librdkafka asks again (at 80 % of the lifetime) before either runs out.
final class MSKTokenSource: Sendable {
    let region: String
    let credentials: any CredentialsProvider
    let userAgent: String
    let clock: CredentialsClock

    init(region: String, credentials: any CredentialsProvider, userAgent: String, clock: @escaping CredentialsClock) {
        self.region = region
        self.credentials = credentials
        self.userAgent = userAgent
        self.clock = clock
    }

    func token() throws -> KafkaOAuthBearerToken {
        let current: Credentials
        do {
            current = try Self.wait { [credentials] in try await credentials.credentials() }
        } catch {
            throw MSKIAMError("MSK IAM token for \(region): no AWS credentials: \(error)")
        }
        let now = clock()
        let token = MSKAuthToken(credentials: current, region: region, date: now, userAgent: userAgent)
        let expiration = min(token.expiration, current.expiration ?? token.expiration)
        guard expiration > now.addingTimeInterval(1) else {
            throw MSKIAMError("MSK IAM token for \(region): the AWS credentials (\(current.accessKeyId)) have expired")
        }
        return KafkaOAuthBearerToken(value: token.value, expiration: expiration)
    }

    /// Runs `body` as a task and blocks this thread, one of librdkafka's and never Swift's
    /// cooperative pool, until it ends.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            box.result = await Result(catching: { try await body() })
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    // @unchecked Sendable: written once before the semaphore is signalled and read only after the wait returns.
    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, Error>?
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
