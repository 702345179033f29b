import Foundation
import Kafka
import ObjectStore

/// Why a backup ended: one line naming the job, topic, partition, offset, object or setting at fault,
/// and whether it is invalid input (exit 2: settings a rerun cannot cure) or a failure (exit 1).
public struct BackupError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Settings a rerun cannot cure: flags, topics that do not exist, a store the job cannot use,
        /// credentials or a bucket the store refuses (found before any work, or by the first request).
        case invalidInput
        /// Anything else: Kafka, the store, a record that cannot be written, the lock.
        case failure
        /// Stopped by a signal (SIGTERM, SIGINT) after ending its work cleanly.
        case interrupted
    }

    public var kind: Kind
    public var message: String
    /// The store or Kafka error behind this one, for its code and the key, topic or partition it names.
    public var cause: (any Error)?

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func invalidInput(_ message: String) -> BackupError { BackupError(.invalidInput, message) }
    static func failure(_ message: String) -> BackupError { BackupError(.failure, message) }

    public var description: String { message }

    /// Wraps any error as one line, keeping a `BackupError` as it is; store and Kafka errors that
    /// need new settings are invalid input, the rest failures.
    static func wrap(_ error: Error, _ context: String) -> BackupError {
        if let error = error as? BackupError { return error }
        var wrapped = BackupError(needsNewSettings(error) ? .invalidInput : .failure, "\(context): \(error)")
        wrapped.cause = error
        return wrapped
    }

    static func needsNewSettings(_ error: Error) -> Bool {
        (error as? StoreError)?.isConfigurationError ?? (error as? KafkaError)?.isConfigurationError ?? false
    }
}
