import Failures
import Foundation
import Kafka
import Layout

extension ProduceLoop {
    /// A repartitioned topic: its planned partitions are read in order, and each record goes to the
    /// target partition its key chooses (`RecordRouter`), so the records of one key keep their order.
    /// Each target partition's share is thus a fixed sequence, of which the target holds a prefix (the
    /// idempotent producer writes a partition's records in order and without gaps): a rerun skips,
    /// per target partition, as many as that partition holds since the restore began.
    /// `group` holds the topic's destinations, by target partition.
    func restoreRepartitioned(
        _ planned: [Int], destinations group: [Int], starts: [Start], feed: BatchFeed,
        outcome: inout Outcome
    ) async throws {
        for destination in group { try await open(destination, start: starts[destination], outcome: &outcome) }
        var router = RecordRouter(partitionCount: Int32(group.count))
        let present = group.map { starts[$0].tail.count }
        // Records routed to each target partition so far.
        var routed = [Int64](repeating: 0, count: group.count)
        let producer = self.producer
        // Which records a target partition holds is told only by count, and a prune since the restore
        // began changes the count: the usual "another producer" verdict may then be the prune's doing.
        let pruneNote =
            planned.contains { partitions[$0].prunedThrough != nil }
            ? ". If ktape prune removed records of \(partitions[planned[0]].sourceTopic) since this restore began, that is the cause instead: a --repartition restore cannot resume past such a prune; restore into an empty topic (or from a copy made before the prune)"
            : ""
        func hint(_ target: TopicPartition) -> String { states.removalHint(target) + pruneNote }
        var watch = DamageWatch()
        do {
            for index in planned {
                let partition = partitions[index]
                var continuity = ListedContinuity()
                while let item = try await feed.next(for: index) {
                    let (object, damage, records) = try take(
                        item, sourceTopic: partition.sourceTopic, continuity: &continuity, outcome: &outcome)
                    var chosen = [[Int]](repeating: [], count: group.count)
                    try records.withUnsafeRecords { views in
                        for i in 0..<views.count {
                            let view = views[i]
                            if options.hasTimeFilter && !options.inTimeRange(view.timestamp) {
                                outcome.filtered += 1
                                continue
                            }
                            let p = Int(router.partition(of: view))
                            if routed[p] >= present[p] {
                                chosen[p].append(i)
                            } else {
                                watch.reached(object.key, group[p], from: records.offset(at: i))
                                if routed[p] == present[p] - 1, let last = starts[group[p]].tail.last {
                                    let target = destinations[group[p]].target
                                    try Self.checkSame(
                                        records.record(at: i), last, target: target, object: object.key, hint: hint(target))
                                }
                            }
                            routed[p] += 1
                        }
                    }
                    var lent = false
                    for p in chosen.indices where !chosen[p].isEmpty {
                        let (destination, indices) = (group[p], chosen[p])
                        let target = destinations[destination].target
                        watch.reached(object.key, destination, from: records.offset(at: indices[0]))
                        try await KafkaBlocking.run { try producer.produce(records, indices, to: target, destination: destination) }
                        lent = true
                    }
                    if !lent { feed.recycle(records) }
                    try await afterBatch(partition, done: index)
                    if let damage { throw damage }
                }
                report(partition, done: index + 1)
            }
        } catch {
            watch.mark(error, in: stateWriter, at: options.clock())
            throw error
        }
        for p in group.indices {
            let target = destinations[group[p]].target
            if routed[p] < present[p] {
                throw RunFailure.invalidInput(
                    "target \(target) holds \(present[p]) records after offset \(starts[group[p]].state.baseTargetOffset), but this restore routes only \(routed[p]) there; another producer wrote into it. \(hint(target))"
                )
            }
            stateWriter.setPlanned(group[p], records: routed[p])
        }
    }

    /// A finished repartitioned restore run again after further backups: their records of any source
    /// partition but the last would land inside the sequence it restored, where the count cannot
    /// place them (docs/restore.md, 2a). One problem per such topic, before anything is produced (and
    /// in a dry run), where the rerun stopped naming "another producer", or skipped new records and
    /// wrote old ones again when the record counted to was equal to the target's last. Told by record
    /// counts only: not under a time filter, and a topic whose last partition alone grew is refused too.
    static func laterBackupProblems(
        _ partitions: [PartitionPlan], destinations: RestoreDestinations, loaded: [Int: RestoreResumeState], options: RestoreOptions
    ) -> [String] {
        guard !options.hasTimeFilter else { return [] }
        return destinations.repartitioned.keys.sorted().compactMap { topic -> String? in
            guard let group = destinations.repartitioned[topic], group.partitions.count > 1,
                let first = group.partitions.first.map({ partitions[$0] })
            else { return nil }
            let states = group.destinations.map { loaded[$0] }
            // Finished: every target partition's entry delivered what its run planned.
            guard states.allSatisfy({ $0.map { $0.plannedRecords == $0.deliveredRecords } ?? false }) else { return nil }
            let restored = states.reduce(Int64(0)) { $0 + ($1?.deliveredRecords ?? 0) }
            var now: Int64 = 0
            for index in group.partitions {
                guard let records = partitions[index].records else { return nil }
                now += records
            }
            guard restored > 0, now > restored else { return nil }
            return
                "\(first.sourceTopic): this --repartition restore into \(first.target.topic) finished with \(restored) records, and the store holds \(now - restored) more from later backups; they cannot be added in order (a repartitioned target's records are placed by count, and new records of a source partition but the last fall inside what was restored): restore into a new topic, or without --repartition into a target with the source's partition count"
        }
    }
}
