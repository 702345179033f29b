import Foundation
import Layout

/// Which objects of each partition a prune removes: from the oldest end, every object whose records
/// are all older than the cutoff, stopping at the first that is not (or that Object Lock keeps), so
/// no hole is ever left in the middle. Pure: the caller supplies what it read.
enum PrunePlanner {
    struct Partition: Sendable {
        var topic: String
        var partition: Int32
        /// The first offset kept before this prune, and after it.
        var firstOffset: Int64
        var newFirstOffset: Int64
        /// Objects (with their runs' start times) this prune removes, oldest first.
        var removed: [ManifestObject]
        /// Objects below the old first offset that a killed prune left behind (deleted again now).
        var leftovers: [ManifestObject]
        /// The object Object Lock keeps, where this partition's prune stopped.
        var lockedKept: String?

        var records: Int64 { removed.reduce(0) { $0 + $1.recordCount } }
        var bytes: Int64 { removed.reduce(0) { $0 + $1.byteSize } }
    }

    /// An object a prune may act on, with the run that wrote it.
    struct Candidate: Sendable {
        var object: ManifestObject
        var runId: RunID
        /// The run's start, in milliseconds: the bound of the object's records where it has no times.
        var runStart: Int64
    }

    /// The objects of `manifest` a prune may act on: those of topics `selects` takes that end above
    /// their partition's first kept offset, and those below it that a killed prune left (in
    /// `stillThere`). Objects already pruned are not kept, so a prune holds what the store still
    /// holds, not every object of its history. Their checksums are dropped: a prune never reads them.
    static func candidates(
        in manifest: RunManifest, firstOffsets: [TopicPartition: Int64], selects: (String) -> Bool, stillThere: Set<String>
    ) -> [Candidate] {
        let runStart = Int64((manifest.startedAt.timeIntervalSince1970 * 1000).rounded(.down))
        return manifest.objects.compactMap { object in
            guard selects(object.topic) else { return nil }
            let first = firstOffsets[TopicPartition(object.topic, object.partition)] ?? 0
            guard object.spanEnd > first || ([object.key] + object.companionKeys).contains(where: stillThere.contains) else {
                return nil
            }
            var kept = object
            kept.crc64nvme = nil
            kept.etag = nil
            kept.sha256 = nil
            kept.companionChecksums = nil
            return Candidate(object: kept, runId: manifest.runId, runStart: runStart)
        }
    }

    /// The plan for every partition of `candidates`. `isLocked` says whether Object Lock keeps an
    /// object now (asked only of objects the cutoff would remove); `stillThere` holds the keys below
    /// each partition's first offset that a killed prune left.
    static func plan(
        candidates: [Candidate], pruned: PrunedState, cutoff: Int64,
        stillThere: Set<String>, isLocked: (String) async throws -> Bool
    ) async throws -> [Partition] {
        var byPartition: [TopicPartition: [(object: ManifestObject, runStart: Int64)]] = [:]
        var seen = Set<String>()
        // A key two runs name counts once, as the earlier run's.
        for candidate in candidates.sorted(by: { $0.runId < $1.runId }) where seen.insert(candidate.object.key).inserted {
            let object = candidate.object
            byPartition[TopicPartition(object.topic, object.partition), default: []].append((object, candidate.runStart))
        }
        var plans: [Partition] = []
        for tp in byPartition.keys.sorted() {
            let objects = (byPartition[tp] ?? []).sorted { $0.object.firstOffset < $1.object.firstOffset }
            let first = pruned.firstOffset(topic: tp.topic, partition: tp.partition)
            var plan = Partition(
                topic: tp.topic, partition: tp.partition, firstOffset: first, newFirstOffset: first,
                removed: [],
                leftovers: objects.map(\.object).filter { object in
                    object.spanEnd <= first && ([object.key] + object.companionKeys).contains(where: stillThere.contains)
                })
            for (object, runStart) in objects where object.spanEnd > first {
                // Without the object's own time (manifests before ktape recorded it) its run's start
                // bounds it: every record a run read was in Kafka before the run began.
                guard (object.maxTimestamp ?? runStart) < cutoff else { break }
                if try await isLocked(object.key) {
                    plan.lockedKept = object.key
                    break
                }
                plan.removed.append(object)
                plan.newFirstOffset = object.spanEnd
            }
            if !plan.removed.isEmpty || !plan.leftovers.isEmpty || plan.lockedKept != nil { plans.append(plan) }
        }
        return plans
    }
}
