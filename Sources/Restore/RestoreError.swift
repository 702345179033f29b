import Failures

/// A restore ends with a `RunFailure`: invalid input (exit 2) when found while planning, before
/// anything is produced, or when a store or cluster refuses the job's bucket or credentials; the rest
/// are failures (exit 1).
extension RunFailure {
    /// Stopped by a signal: the resume state holds every confirmed record and the lease is released.
    static func restoreInterrupted(_ reason: String) -> RunFailure {
        .interrupted(
            "interrupted by \(reason): the resume state holds every record confirmed, the lease is released; run again to continue",
            by: reason)
    }

    /// Every problem a plan found, in one line: the first, and the others after it.
    static func problems(_ problems: [String]) -> RunFailure {
        problems.count == 1
            ? .invalidInput(problems[0])
            : .invalidInput("\(problems.count) problems: " + problems.joined(separator: "; "))
    }

    /// A damaged object: names the object and the line (1-based) where reading stopped.
    static func corrupt(_ key: String, line: Int, _ reason: String) -> RunFailure {
        .failure("object \(key) line \(line): \(reason)")
    }
}
