import Foundation
import Layout
import ObjectStore
import TimeText

/// The restores whose resume state the store keeps (`_ktape/restore/`), by the source partition each
/// entry restores: a prune that removes offsets such a restore has not restored yet leaves it unable
/// to go on in order (its next run stops, exit 2), which a scheduled migration finds out only then.
/// The prune still goes ahead (a finished one-off restore's state is never removed by ktape); it says
/// so once, when its new first offset passes the restore's next offset.
struct RestoresBehind {
    struct Restore {
        var stateKey: String
        var targetTopic: String
        var nextSourceOffset: Int64
        var updatedAt: Date
    }

    private var bySource: [TopicPartition: [Restore]] = [:]
    /// Per state document, the restore and the ranges passed so far.
    private var passed: [String: (restore: Restore, ranges: [String])] = [:]

    /// Reads every state document of `topics`' restores; those that cannot be read are said (in one
    /// line) and left out. Entries of `--repartition` restores, of restores bounded by `--to-time` or
    /// `--as-of`, and of documents an earlier ktape wrote name no source partition and are not followed.
    static func read(
        store: any ObjectStore, layout: StoreLayout, topics: Set<String>, warn: (String) -> Void
    ) async throws -> RestoresBehind {
        var behind = RestoresBehind()
        var unreadable: [(key: String, error: Error)] = []
        defer {
            // One line, however many: it comes back with every prune until the documents are mended.
            if let first = unreadable.first {
                let more = unreadable.count > 1 ? " and \(unreadable.count - 1) more" : ""
                warn(
                    "restore state \(first.key)\(more) cannot be read (\(first.error)); this prune does not check \(unreadable.count > 1 ? "those restores'" : "that restore's") progress"
                )
            }
        }
        for key in try await store.listAll(prefix: layout.restoreFolder).map(\.key) where layout.isRestoreStateDocument(key) {
            let progress: RestoreProgress
            do {
                progress = try RestoreProgress.decode(Data(try await store.get(key)), name: key)
            } catch let error as StoreError where error.isNotFound {
                continue  // removed since the listing
            } catch {
                unreadable.append((key, error))
                continue
            }
            for entry in progress.partitions where topics.contains(entry.sourceTopic) {
                guard let source = entry.sourcePartition else { continue }
                behind.bySource[TopicPartition(entry.sourceTopic, source), default: []].append(
                    Restore(
                        stateKey: key, targetTopic: progress.targetTopic, nextSourceOffset: entry.nextSourceOffset,
                        updatedAt: entry.updatedAt))
            }
        }
        return behind
    }

    /// Notes the restores whose next offset in some partition of `plans` this prune passes, moving
    /// each partition's first offset from `firstOffset` to `newFirstOffset` (a group of partitions at
    /// a time: a prune of many objects plans them group by group).
    mutating func note(_ plans: [PrunePlanner.Partition]) {
        for plan in plans {
            for restore in bySource[TopicPartition(plan.topic, plan.partition)] ?? []
            where plan.firstOffset <= restore.nextSourceOffset && restore.nextSourceOffset < plan.newFirstOffset {
                passed[restore.stateKey, default: (restore, [])].ranges.append(
                    "\(plan.topic)/\(plan.partition) offsets \(restore.nextSourceOffset)…\(plan.newFirstOffset - 1)")
            }
        }
    }

    /// One line for each restore noted: the partitions this prune leaves it behind in.
    func lines(dryRun: Bool) -> [String] {
        passed.keys.sorted().compactMap { key in
            guard let (restore, ranges) = passed[key] else { return nil }
            let shown = ranges.prefix(4).joined(separator: ", ") + (ranges.count > 4 ? " and \(ranges.count - 4) more partitions" : "")
            return
                "this prune \(dryRun ? "would remove" : "removes") records that the restore into \(restore.targetTopic) (state \(key), written \(Timestamps.rfc3339(restore.updatedAt))) has not restored yet: \(shown); its next run will stop (exit 2). Run that restore before pruning, or remove its state if it is done with"
        }
    }
}
