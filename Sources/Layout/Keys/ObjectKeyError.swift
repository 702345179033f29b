import Foundation

/// Why a key or file name is not a data object in ktape's layout; one line naming the key.
public struct ObjectKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key or file name at fault.
    public var key: String
    /// What is wrong with it.
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "object key '\(key)': \(reason)" }
}
