/// ktape's exit codes (DESIGN.md, "Exit codes").
enum ExitStatus {
    static let done: Int32 = 0
    static let failure: Int32 = 1
    static let invalidInput: Int32 = 2
    static let verifyFailed: Int32 = 3
}

/// An error a command ends with: one line for stderr and the exit status it stands for.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var status: Int32

    static func invalidInput(_ message: String) -> CommandFailure { .init(message: message, status: ExitStatus.invalidInput) }
    static func failure(_ message: String) -> CommandFailure { .init(message: message, status: ExitStatus.failure) }
    static func verifyFailed(_ message: String) -> CommandFailure { .init(message: message, status: ExitStatus.verifyFailed) }

    var description: String { message }
}
