import Failures
import Foundation

/// The object whose records are being produced, and where they went: if the object turns out
/// damaged after some were produced (its checksum is known only at its last byte), the resume state
/// of each destination they went to says so, and a rerun does not go on after them unchecked
/// (`ResumeScan`).
struct DamageWatch {
    private var object: String?
    /// Destination → source offset of the first record of `object` produced into it.
    private var firsts: [Int: Int64] = [:]

    /// Records of `object` from source offset `first` on were handed to the producer for `destination`.
    mutating func produced(_ object: String, to destination: Int, from first: Int64) {
        if self.object != object {
            self.object = object
            firsts = [:]
        }
        if firsts[destination] == nil { firsts[destination] = first }
    }

    /// Marks the destinations that got records of the object `error` found damaged (none for an
    /// object nothing was produced from, such as the next one, opened ahead).
    func mark(_ error: Error, in writer: ResumeStateWriter, at time: Date) {
        guard let damage = (error as? RunFailure)?.damagedObject, let object, damage.object == object else { return }
        for (destination, first) in firsts {
            writer.markDamaged(destination, .init(key: object, firstProducedOffset: first, foundAt: time))
        }
    }
}
