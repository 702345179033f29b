import Foundation

/// A SASL/OAUTHBEARER token for librdkafka (for example an Amazon MSK IAM token).
public struct KafkaOAuthBearerToken: Sendable {
    /// The token librdkafka sends in the SASL exchange.
    public var value: String
    /// When the token stops working; librdkafka asks for a new one at 80 % of the time left.
    public var expiration: Date
    /// The principal name librdkafka requires; it stays in the client (OAUTHBEARER sends only the token).
    public var principal: String

    public init(value: String, expiration: Date, principal: String = "ktape") {
        self.value = value
        self.expiration = expiration
        self.principal = principal
    }
}

/// Makes a token when librdkafka asks for one: once as a client starts, then at 80 % of each token's
/// lifetime. Called on librdkafka's background thread, so it may block (fetching credentials); a
/// thrown error's description is passed to librdkafka as the failure (it tries again 10 s later and
/// reports `_AUTHENTICATION`), so it must not contain a secret.
public typealias KafkaOAuthBearerTokenProvider = @Sendable () throws -> KafkaOAuthBearerToken
