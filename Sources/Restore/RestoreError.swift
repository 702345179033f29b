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
        .damage("object \(key) line \(line): \(reason)")
    }

    /// An object that is not what the backup wrote (a retry may still meet a mended one: exit 1).
    static func damage(_ message: String) -> RunFailure {
        .failure(message, cause: ObjectDamage(object: nil))
    }

    /// The damage found in a data object (its companions' included), nil for any other failure.
    var damagedObject: ObjectDamage? { cause as? ObjectDamage }

    /// This damage, as found while reading `object`. Only an object with a recorded checksum, or
    /// whose own check failed (`ObjectDamage.provenByObject`), counts as damaged as a whole: without
    /// either, the records before a bad line are as sound as any unchecked record, and a truncated
    /// one's are those a whole one has.
    func found(in object: SourceObject) -> RunFailure {
        guard let damage = damagedObject else { return self }
        var failure = self
        let whole = damage.provenByObject || object.manifest?.checksumToCheck != nil
        failure.cause = whole ? ObjectDamage(object: object.key) : nil
        return failure
    }
}

/// Why a restore stopped at a damaged object; `BatchFeed` names the data object being read.
struct ObjectDamage: Error {
    var object: String?
    /// The object's own check failed (gzip's CRC-32, or deflate data that does not inflate): what was
    /// inflated before it may be wrong too, manifest or not.
    var provenByObject = false
}
