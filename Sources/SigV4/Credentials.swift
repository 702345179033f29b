import Foundation

/// AWS credentials as SigV4 needs them. The secret never appears in `description`.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Names the key id only, so credentials can be logged or interpolated without leaking the secret.
    public var description: String {
        "Credentials(accessKeyId: \(accessKeyId)\(sessionToken == nil ? "" : ", with session token"))"
    }
}
