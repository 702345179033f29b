import Failures
import Foundation

/// The object being read, and where its records are: if the object turns out damaged after some
/// reached a target (its checksum is known only at its last byte), the resume state of each
/// destination they reached says so, and a rerun does not go on after them unchecked (`ResumeScan`).
/// Records an earlier run put there count too: a run stopped by a failure worth a retry, or killed,
/// before the object's last byte leaves them to the run that finds the damage.
struct DamageWatch {
    private var object: String?
    /// Destination → source offset of the first record of `object` in its target.
    private var firsts: [Int: Int64] = [:]

    /// Records of `object` from source offset `first` on are in `destination`'s target: handed to
    /// the producer now, or held from an earlier run.
    mutating func reached(_ object: String, _ destination: Int, from first: Int64) {
        if self.object != object {
            self.object = object
            firsts = [:]
        }
        if firsts[destination] == nil { firsts[destination] = first }
    }

    /// Marks the destinations that hold records of the object `error` found damaged (none for an
    /// object none of whose records reached a target, such as the next one, opened ahead).
    func mark(_ error: Error, in writer: ResumeStateWriter, at time: Date) {
        guard let damage = (error as? RunFailure)?.damagedObject, let object, damage.object == object else { return }
        for (destination, first) in firsts {
            writer.markDamaged(destination, .init(key: object, firstProducedOffset: first, foundAt: time))
        }
    }
}
