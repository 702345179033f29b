import Foundation

/// Why a restore stopped: one line naming the object, topic, partition or setting at fault.
/// `isInvalidInput` errors are found before anything is produced (exit 2); the rest are exit 1.
public struct RestoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when found while planning, before any record was produced.
    public var isInvalidInput: Bool
    /// True when a signal (SIGTERM, SIGINT) stopped the restore after it ended its work cleanly.
    public var isInterrupted = false

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
    /// A failure while working (store, cluster, a corrupt object met while streaming).
    public static func failure(_ message: String) -> RestoreError { RestoreError(message, isInvalidInput: false) }

    /// A damaged object: names the object and the line (1-based) where reading stopped.
    static func corrupt(_ key: String, line: Int, _ reason: String) -> RestoreError {
        .failure("object \(key) line \(line): \(reason)")
    }

    public var description: String { message }
}
