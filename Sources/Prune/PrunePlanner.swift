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

    /// The plan for every partition of `manifests` that `selects` takes. `isLocked` says whether
    /// Object Lock keeps an object now (asked only of objects the cutoff would remove); `stillThere`
    /// holds the keys below each partition's first offset that a killed prune left.
    static func plan(
        manifests: [RunManifest], pruned: PrunedState, cutoff: Int64, selects: (String) -> Bool,
        stillThere: Set<String>, isLocked: (String) async throws -> Bool
    ) async throws -> [Partition] {
        var byPartition: [TopicPartition: [(object: ManifestObject, runStart: Int64)]] = [:]
        var seen = Set<String>()
        for manifest in manifests.sortedByRun() {
            let runStart = Int64((manifest.startedAt.timeIntervalSince1970 * 1000).rounded(.down))
            for object in manifest.objects where selects(object.topic) && seen.insert(object.key).inserted {
                byPartition[TopicPartition(object.topic, object.partition), default: []].append((object, runStart))
            }
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
