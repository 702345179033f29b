import Foundation

/// Why a backup ended: one line naming the job, topic, partition, offset, object or setting at fault,
/// and whether it is invalid input (exit 2, found before any work) or a failure (exit 1).
public struct BackupError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Found before any work started: flags, topics that do not exist, a store the job cannot use.
        case invalidInput
        /// Anything else: Kafka, the store, a record that cannot be written, the lock.
        case failure
        /// Stopped by a signal (SIGTERM, SIGINT) after ending its work cleanly.
        case interrupted
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func invalidInput(_ message: String) -> BackupError { BackupError(.invalidInput, message) }
    static func failure(_ message: String) -> BackupError { BackupError(.failure, message) }

    public var description: String { message }

    /// Wraps any error as a failure line, keeping a `BackupError` as it is.
    static func wrap(_ error: Error, _ context: String) -> BackupError {
        if let error = error as? BackupError { return error }
        return .failure("\(context): \(error)")
    }
}
