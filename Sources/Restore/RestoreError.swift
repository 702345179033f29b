import Foundation

/// Why a restore stopped: one line naming the object, topic, partition or setting at fault.
/// `isInvalidInput` errors are found before anything is produced (exit 2); the rest are exit 1.
public struct RestoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when found while planning, before any record was produced.
    public var isInvalidInput: Bool

    public init(_ message: String, isInvalidInput: Bool) {
        self.message = message
        self.isInvalidInput = isInvalidInput
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
