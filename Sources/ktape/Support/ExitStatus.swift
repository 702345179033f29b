/// ktape's exit codes (DESIGN.md, "Exit codes").
enum ExitStatus {
    static let done: Int32 = 0
    static let failure: Int32 = 1
    static let invalidInput: Int32 = 2
    static let verifyFailed: Int32 = 3
}

/// An error a command ends with: one line for stderr, the exit status it stands for, and the
/// fields of the error behind it (code, key, topic, partition) for a JSON log line.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var status: Int32
    var fields = LogFields()

    static func invalidInput(_ message: String, cause: Error? = nil) -> CommandFailure {
        .init(message: message, status: ExitStatus.invalidInput, fields: ErrorFields.of(cause))
    }
    static func failure(_ message: String, cause: Error? = nil) -> CommandFailure {
        .init(message: message, status: ExitStatus.failure, fields: ErrorFields.of(cause))
    }
    static func verifyFailed(_ message: String) -> CommandFailure { .init(message: message, status: ExitStatus.verifyFailed) }
    /// A run a signal stopped after it ended its work cleanly: 130 for SIGINT, 143 for SIGTERM.
    static func interrupted(_ message: String) -> CommandFailure { .init(message: message, status: Interrupts.exitStatus) }

    var description: String { message }
}
