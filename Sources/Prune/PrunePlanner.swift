import Foundation
import Layout
import ObjectStore

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
        /// Objects this prune removes, oldest first.
        var removed: [Candidate]
        /// Objects below the old first offset that a killed prune left behind (deleted again now).
        var leftovers: [Candidate]
        /// The object Object Lock keeps, where this partition's prune stopped.
        var lockedKept: String?

        var records: Int64 { removed.reduce(0) { $0 + $1.recordCount } }
        var bytes: Int64 { removed.reduce(0) { $0 + $1.byteSize } }
    }

    /// What a prune needs of an object a manifest names: a few numbers and its keys, not the
    /// checksums and times of the whole entry (a first prune of a long history holds every object
    /// it removes).
    struct Candidate: Sendable {
        var key: String
        var companionKeys: [String]
        var firstOffset: Int64
        var spanEnd: Int64
        var recordCount: Int64
        var byteSize: Int64
        /// When its newest record was written (epoch ms), or, where the manifest has no times (written
        /// before ktape recorded them), when its run ended: every record a run read was in Kafka then.
        var newest: Int64
        var runId: RunID

        var keys: [String] { [key] + companionKeys }
    }

    /// Candidates by partition, gathered one manifest at a time.
    typealias Candidates = [TopicPartition: [Candidate]]

    /// Adds the objects of `manifest` a prune may act on (see `forEachCandidate`).
    static func gather(
        _ manifest: RunManifest, into candidates: inout Candidates, firstOffsets: [TopicPartition: Int64],
        selects: (TopicPartition) -> Bool, stillThere: Set<String>
    ) {
        forEachCandidate(in: manifest, firstOffsets: firstOffsets, selects: selects, stillThere: stillThere) { tp, candidate in
            candidates[tp, default: []].append(candidate)
        }
    }

    /// Calls `take` with each object of `manifest` a prune may act on: those of partitions `selects`
    /// takes that end above their partition's first kept offset, and those below it that a killed
    /// prune left (in `stillThere`). Objects already pruned are not taken, so a prune holds what the
    /// store still holds, not every object of its history.
    static func forEachCandidate(
        in manifest: RunManifest, firstOffsets: [TopicPartition: Int64], selects: (TopicPartition) -> Bool,
        stillThere: Set<String>, _ take: (TopicPartition, Candidate) -> Void
    ) {
        // Without record times (manifests before version 3): every record the run read was in Kafka by its end.
        let runEnd = Int64((manifest.finishedAt.timeIntervalSince1970 * 1000).rounded(.up))
        for object in manifest.objects {
            let tp = TopicPartition(object.topic, object.partition)
            guard selects(tp),
                object.spanEnd > firstOffsets[tp] ?? 0 || ([object.key] + object.companionKeys).contains(where: stillThere.contains)
            else { continue }
            take(
                tp,
                Candidate(
                    key: object.key, companionKeys: object.companionKeys, firstOffset: object.firstOffset, spanEnd: object.spanEnd,
                    recordCount: object.recordCount, byteSize: object.byteSize, newest: object.maxTimestamp ?? runEnd,
                    runId: manifest.runId))
        }
    }

    /// Partitions in groups of at most `limit` candidates each (a partition with more is a group of
    /// its own), in partition order: a prune plans, records and deletes one group at a time, reading
    /// the manifests once per group, so the first prune of a long history holds a bounded share of it.
    static func groups(_ counts: [TopicPartition: Int], limit: Int) -> [[TopicPartition]] {
        var groups: [[TopicPartition]] = []
        var current: [TopicPartition] = []
        var held = 0
        for tp in counts.keys.sorted() {
            let count = counts[tp] ?? 0
            if !current.isEmpty, held + count > limit {
                groups.append(current)
                current = []
                held = 0
            }
            current.append(tp)
            held += count
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// The plan for every partition of `candidates`. `isLocked` says whether Object Lock keeps an
    /// object now (asked only of objects the cutoff would remove, `lookups` at a time: a HEAD each
    /// on S3, which one after another made the first prune of a long history take hours); `stillThere`
    /// holds the keys below each partition's first offset that a killed prune left.
    static func plan(
        candidates: Candidates, pruned: PrunedState, cutoff: Int64,
        stillThere: Set<String>, lookups: Int = 16, isLocked: @escaping @Sendable (String) async throws -> Bool
    ) async throws -> [Partition] {
        var plans: [Partition] = []
        for tp in candidates.keys.sorted() {
            // A key two runs name counts once, as the earlier run's.
            var seen = Set<String>()
            let objects = (candidates[tp] ?? []).sorted { $0.runId < $1.runId }.filter { seen.insert($0.key).inserted }
                .sorted { $0.firstOffset < $1.firstOffset }
            let first = pruned.firstOffset(topic: tp.topic, partition: tp.partition)
            var plan = Partition(
                topic: tp.topic, partition: tp.partition, firstOffset: first, newFirstOffset: first,
                removed: [],
                leftovers: objects.filter { object in object.spanEnd <= first && object.keys.contains(where: stillThere.contains) })
            let expired = objects.filter { $0.spanEnd > first }.prefix { $0.newest < cutoff }
            var window = expired.startIndex
            walk: while window < expired.endIndex {
                let batch = Array(expired[window..<min(window + lookups, expired.endIndex)])
                window += batch.count
                // In order, up to the first that is kept: the lookups of the batch after it are wasted, no more.
                let locked = try await mapConcurrently(batch, limit: lookups) { try await isLocked($0.key) }
                for (object, isKept) in zip(batch, locked) {
                    if isKept {
                        plan.lockedKept = object.key
                        break walk
                    }
                    plan.removed.append(object)
                    plan.newFirstOffset = object.spanEnd
                }
            }
            if !plan.removed.isEmpty || !plan.leftovers.isEmpty || plan.lockedKept != nil { plans.append(plan) }
        }
        return plans
    }
}
