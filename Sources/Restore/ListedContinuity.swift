import Failures
import Foundation
import Layout

/// Without manifests, continuity shows only while reading. The objects of one folder follow each
/// other: one starting inside the one before it is refused before any of its records is produced.
/// A partition whose objects lie in several folders may interleave its offsets across them (a
/// TimeBasedPartitioner on record time, a FieldPartitioner), and JsonFormat lines carry no offsets:
/// its objects go in start-offset order, which is said once, and from then on a hole between them
/// cannot be told from interleaving.
struct ListedContinuity {
    /// Per folder, one past the last offset read.
    private var next: [String: Int64] = [:]
    private var interleaved = false

    /// Before `object`'s first record: throws when it starts inside the object before it in its
    /// folder; returns a warning for a hole, or for the first object found to interleave.
    mutating func check(_ object: SourceObject) throws -> String? {
        guard object.manifest == nil else { return nil }
        let start = object.name.startOffset
        if let expected = next[object.folder], start < expected {
            // The objects themselves are at fault: a rerun meets them again (exit 2, not 1).
            throw RunFailure.invalidInput(
                "object \(object.key) starts at offset \(start), inside the object before it (which ends at \(expected - 1)); remove the duplicate object"
            )
        }
        // Only another folder's objects can reach past `start` here.
        guard let reach = next.values.max() else { return nil }
        if start < reach {
            interleaved = true
            return
                "topic \(object.name.topic): objects of a partition interleave their offsets across folders (a time- or field-based partitioner); they are restored in start-offset order, and as the files carry no offsets, interleaved records keep the order of their objects"
        }
        if start > reach && !interleaved {
            return
                "\(object.key): offsets \(reach)…\(start - 1) are in no object (compacted away, transaction markers, or a missing object)"
        }
        return nil
    }

    /// `object` has been read up to `lastOffset`.
    mutating func advance(_ object: SourceObject, lastOffset: Int64) {
        next[object.folder] = lastOffset + 1
    }
}
