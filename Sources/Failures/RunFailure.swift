import Foundation

/// ktape's exit statuses (DESIGN.md, "Exit codes"); a signal adds 128 + its number.
public enum ExitStatus {
    public static let done: Int32 = 0
    public static let failure: Int32 = 1
    public static let invalidInput: Int32 = 2
    public static let verifyFailed: Int32 = 3
}

/// Why a command or an engine's run ended without doing its work: one line naming the job, topic,
/// partition, object or setting at fault, and the exit status it stands for. Backup, restore, prune
/// and the command line all end with this one type, so the status is decided where the failure is.
public struct RunFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Settings a rerun cannot cure: flags, topics that do not exist, a store the job cannot use,
        /// credentials or a bucket the store refuses (found before any work, or by the first request).
        case invalidInput
        /// Anything else: Kafka, the store, a corrupt object, the lock. A retry may cure it.
        case failure
        /// Stopped by a signal (SIGTERM, SIGINT) after ending its work cleanly.
        case interrupted
        /// `verify` found a problem in the store.
        case verifyFailed
    }

    public var kind: Kind
    public var message: String
    /// The store or Kafka error behind this one, for its code and the key, topic or partition it names.
    public var cause: (any Error)?
    /// The topic and partition the failure is about, for the log line's fields, where no cause names them.
    public var topic: String?
    public var partition: Int32?
    /// The signal that stopped an interrupted run.
    private var signal: Int32 = SIGTERM

    public init(_ kind: Kind, _ message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.cause = cause
    }

    public static func invalidInput(_ message: String, cause: (any Error)? = nil) -> RunFailure {
        RunFailure(.invalidInput, message, cause: cause)
    }
    public static func failure(_ message: String, cause: (any Error)? = nil) -> RunFailure {
        RunFailure(.failure, message, cause: cause)
    }
    public static func verifyFailed(_ message: String) -> RunFailure { RunFailure(.verifyFailed, message) }

    /// This failure, about `topic` (and `partition`).
    public func about(topic: String, partition: Int32? = nil) -> RunFailure {
        var copy = self
        copy.topic = topic
        copy.partition = partition
        return copy
    }
    /// Stopped by the signal named `reason` (`SIGINT`, `SIGTERM`, `SIGHUP`, as `StopSignal` holds it).
    public static func interrupted(_ message: String, by reason: String) -> RunFailure {
        var failure = RunFailure(.interrupted, message)
        failure.signal = ["SIGINT": SIGINT, "SIGHUP": SIGHUP][reason] ?? SIGTERM
        return failure
    }

    /// 2 for invalid input, 3 for a store verify found wanting, 128 + the signal (130, 143, 129) for an
    /// interrupted run, 1 for the rest.
    public var exitStatus: Int32 {
        switch kind {
        case .invalidInput: return ExitStatus.invalidInput
        case .failure: return ExitStatus.failure
        case .interrupted: return 128 + signal
        case .verifyFailed: return ExitStatus.verifyFailed
        }
    }

    public var isInvalidInput: Bool { kind == .invalidInput }
    public var isInterrupted: Bool { kind == .interrupted }

    public var description: String { message }

    /// Any error met while doing `context`, as one line; a `RunFailure` is kept as it is. Invalid input
    /// when the error says it needs new settings (no such bucket, credentials refused), else a failure.
    public static func wrap(_ error: any Error, _ context: String) -> RunFailure {
        if let error = error as? RunFailure { return error }
        let needsNewSettings = (error as? any ConfigurationReportingError)?.isConfigurationError ?? false
        return RunFailure(needsNewSettings ? .invalidInput : .failure, "\(context): \(error)", cause: error)
    }
}

/// An error that can tell a problem a rerun cannot cure because the job or the account must change (a
/// rejected property, credentials or a bucket refused) from one worth a retry: exit 2, not 1.
public protocol ConfigurationReportingError: Error {
    var isConfigurationError: Bool { get }
}

/// A process that holds as many descriptors as its limit allows (EMFILE): the same job meets the same
/// limit again, so it is a setting to change (exit 2), wherever the next file or socket was refused.
public enum OpenFiles {
    /// What the line of such a failure ends with.
    public static let exhaustedAdvice =
        "this process may open no more files: raise its open-files limit (ulimit -Hn; docs/operations.md, \"Open files\")"
}
