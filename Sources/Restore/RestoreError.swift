import Foundation
import Kafka
import ObjectStore

/// Why a restore stopped: one line naming the object, topic, partition or setting at fault.
/// `isInvalidInput` errors need new settings (exit 2): found while planning, before anything is
/// produced, or a store or cluster refusing the job's bucket or credentials. The rest are exit 1.
public struct RestoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when found while planning, before any record was produced.
    public var isInvalidInput: Bool
    /// True when a signal (SIGTERM, SIGINT) stopped the restore after it ended its work cleanly.
    public var isInterrupted = false
    /// The store or Kafka error behind this one, for its code and the key, topic or partition it names.
    public var cause: (any Error)?

    public init(_ message: String, isInvalidInput: Bool) {
        self.message = message
        self.isInvalidInput = isInvalidInput
    }

    /// Stopped by a signal: the resume state holds every confirmed record and the lease is released.
    public static func interrupted(_ reason: String) -> RestoreError {
        var error = RestoreError("interrupted by \(reason): the resume state holds every record confirmed, the lease is released; run again to continue",
                                 isInvalidInput: false)
        error.isInterrupted = true
        return error
    }

    /// Input that cannot be restored (flags, layout, partition counts), found before any work.
    public static func invalidInput(_ message: String) -> RestoreError { RestoreError(message, isInvalidInput: true) }
    /// Every problem a plan found, in one line: the first, and the others after it.
    static func problems(_ problems: [String]) -> RestoreError {
        problems.count == 1 ? .invalidInput(problems[0])
            : .invalidInput("\(problems.count) problems: " + problems.joined(separator: "; "))
    }

    /// A failure while working (store, cluster, a corrupt object met while streaming).
    public static func failure(_ message: String) -> RestoreError { RestoreError(message, isInvalidInput: false) }

    /// A store or Kafka error met while doing `context`: invalid input when it needs new settings
    /// (no such bucket, credentials refused), a failure otherwise.
    static func wrap(_ error: Error, _ context: String) -> RestoreError {
        if let error = error as? RestoreError { return error }
        let needsNewSettings = (error as? StoreError)?.isConfigurationError ?? (error as? KafkaError)?.isConfigurationError ?? false
        var wrapped = RestoreError("\(context): \(error)", isInvalidInput: needsNewSettings)
        wrapped.cause = error
        return wrapped
    }

    /// A damaged object: names the object and the line (1-based) where reading stopped.
    static func corrupt(_ key: String, line: Int, _ reason: String) -> RestoreError {
        .failure("object \(key) line \(line): \(reason)")
    }

    public var description: String { message }
}
