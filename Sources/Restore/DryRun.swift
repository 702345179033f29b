import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import RecordFormats

/// What `--dry-run` adds to a checked plan so that it tells what a run would do: record counts with
/// `--from-time`/`--to-time` applied (from the manifests' record times where they decide, else by
/// reading the object as a run reads it), what each existing target already holds of an earlier run
/// (its resume state, checked as a rerun checks it), and every problem found on the way. Writes nothing.
enum DryRun {
    static func complete(
        _ plan: inout RestorePlan, store: any ObjectStore, layout: StoreLayout, options: RestoreOptions,
        admin: KafkaAdmin, clusterId: String?
    ) async throws {
        if options.hasTimeFilter { try await countInTimeRange(&plan, store: store, options: options) }
        // Named after the others, as the run meets it after checking the targets' states.
        let creation = try await options.onTarget { [plan] in TargetPreparation.creationProblems(plan, admin: admin, options: options) }
        defer { plan.problems += creation }
        // A state directory that does not exist holds no state (and a dry run creates nothing).
        if let directory = options.stateDirectory, !FileManager.default.fileExists(atPath: directory) { return }
        let destinations = RestoreDestinations(plan: plan, options: options)
        // The state a run would read: under the cluster's id, or the bootstrap-named folder before it.
        let states = try ResumeStateStore(options: options, clusterId: clusterId, store: store, layout: layout)
        var scan = try await ResumeScan.loadStates(destinations, states: states)
        // Only partitions that exist can be read (a topic to create has none yet; one too small fewer).
        var counts: [String: Int32] = [:]
        for topic in plan.topics { if case .exists(let count) = topic.action { counts[topic.targetTopic] = count } }
        let readable = destinations.indices.filter { destinations[$0].target.partition < counts[destinations[$0].target.topic] ?? 0 }
        try await scan.readTargets(readable, destinations: destinations, states: states, admin: admin, options: options)
        plan.problems += scan.problems.map(\.message)
        plan.problems += scan.deletedTargets(destinations, missing: plan.targetsToCreate, states: states)
        plan.warnings += scan.nonEmptyFreshTargets(destinations)
        // What a run would say of the targets' configs (LogAppendTime, a retention shorter than the
        // records' age), for what it would produce.
        let (described, configWarnings) = try await options.onTarget { [plan] in
            var described = plan
            let warnings = TargetPreparation.configWarnings(&described, admin: admin, options: options)
            return (described, warnings)
        }
        plan = described
        plan.warnings += configWarnings
        var restoredBelow: [Int: Int64] = [:]
        for index in plan.partitions.indices {
            guard let destination = destinations.destinationOfPartition[index], let state = scan.loaded[destination] else { continue }
            restoredBelow[index] = state.nextSourceOffset
        }
        plan.warnings += RetentionCheck.warnings(plan, restoredBelow: restoredBelow, options: options)
        // A partition pruned since its restore began holds more than the plan now has of it.
        var pruned = Set<String>()
        for (index, partition) in plan.partitions.enumerated() {
            guard let destination = destinations.destinationOfPartition[index], let state = scan.loaded[destination],
                let tail = scan.tails[destination]
            else { continue }
            if let lost = HeldRecords.lostToPrune(
                state, tail: tail, partition: partition, stateDocument: states.key(partition.target.topic, readFrom: scan.saved))
            {
                plan.problems.append(lost)
            }
            if partition.prunedThrough != nil { pruned.insert(partition.sourceTopic) }
        }
        plan.problems += try await states.prunedAway(plan.prunedAway, options: options) { try admin.endOffsets($0) }.lost
        plan.problems += ProduceLoop.laterBackupProblems(plan.partitions, destinations: destinations, loaded: scan.loaded, options: options)
        await checkResumePoints(&plan, scan: scan, destinations: destinations, states: states, store: store, options: options)
        var present: [String: Int64] = [:]
        for (destination, tail) in scan.tails { present[destinations[destination].sourceTopic, default: 0] += tail.count }
        // In a pruned topic the target holds records the plan no longer has: count what is left per partition.
        var toProduce: [String: Int64?] = [:]
        for (index, partition) in plan.partitions.enumerated() where pruned.contains(partition.sourceTopic) {
            let destination = destinations.destinationOfPartition[index]
            let left = destination.flatMap { HeldRecords.toProduce(partition, state: scan.loaded[$0], tail: scan.tails[$0]) }
            toProduce[partition.sourceTopic] = (toProduce[partition.sourceTopic] ?? 0).flatMap { sum in left.map { sum + $0 } }
        }
        for index in plan.topics.indices {
            let topic = plan.topics[index]
            let held = present[topic.sourceTopic] ?? 0
            plan.topics[index].alreadyPresent = held
            plan.topics[index].toProduce =
                pruned.contains(topic.sourceTopic) ? toProduce[topic.sourceTopic] ?? nil : topic.records.map { max(0, $0 - held) }
            // A rerun would stop at the first partition holding more than it has for it.
            if !pruned.contains(topic.sourceTopic), let records = topic.records, held > records {
                plan.problems.append(
                    "target topic \(topic.targetTopic) holds \(held) records since this restore began, more than the \(records) it restores; another producer wrote into it (a run would stop there)"
                )
            }
        }
    }

    /// Replaces each partition's record count with the records inside the time range: an object whose
    /// manifest gives its oldest and newest record times counts whole or not at all when they lie on
    /// one side of the range; the others (straddling it, or without times) are read.
    private static func countInTimeRange(_ plan: inout RestorePlan, store: any ObjectStore, options: RestoreOptions) async throws {
        var read = 0
        for t in plan.topics.indices {
            for p in plan.topics[t].partitions.indices {
                var count: Int64? = 0
                for object in plan.topics[t].partitions[p].objects {
                    if let known = knownCount(object, options: options) {
                        count = count.map { $0 + known }
                        continue
                    }
                    do {
                        let inRange = try await countByReading(object, store: store, options: options)
                        count = count.map { $0 + inRange }
                        read += 1
                    } catch let error as RunFailure {
                        // A missing or damaged object stops the run there: a problem, and the count is unknown.
                        plan.problems.append(error.message)
                        count = nil
                    }
                }
                plan.topics[t].partitions[p].records = count
            }
        }
        plan.objectsReadToCount = read
    }

    /// A rerun compares each resumed target's last record with the source record its count points
    /// at, and stops when they differ (another producer wrote there); so does the dry run, reading
    /// the one object that holds that record. Not for partitions a rerun skips unread (finished),
    /// pruned ones, or counts that need reading from the start (a time range, a listed store).
    private static func checkResumePoints(
        _ plan: inout RestorePlan, scan: ResumeScan, destinations: RestoreDestinations, states: ResumeStateStore,
        store: any ObjectStore, options: RestoreOptions
    ) async {
        guard !options.hasTimeFilter else { return }
        for (index, partition) in plan.partitions.enumerated() {
            guard partition.prunedThrough == nil, let destination = destinations.destinationOfPartition[index],
                let state = scan.loaded[destination], let tail = scan.tails[destination], let last = tail.last
            else { continue }
            // What a rerun skips unread (ProduceLoop.isFinished: this partition was not pruned).
            if ProduceLoop.holdsEveryPlannedRecord(state, tail: tail, partition: partition) { continue }
            var before: Int64 = 0
            for object in partition.objects {
                guard let count = object.records else { break }
                if before + count < tail.count {
                    before += count
                    continue
                }
                do {
                    let reader = try await ObjectRecordReader.open(object, store: store, options: options)
                    var batch = ObjectRecordReader.Batch(records: RecordBatch())
                    var wanted = tail.count - 1 - before
                    while try await reader.next(into: &batch) {
                        if wanted < batch.records.count {
                            try ProduceLoop.checkSame(
                                batch.records.record(at: Int(wanted)), last, target: partition.target, object: object.key,
                                hint: states.removalHint(partition.target))
                            break
                        }
                        wanted -= Int64(batch.records.count)
                        if let damage = batch.damage { throw damage }
                    }
                } catch let failure as RunFailure {
                    plan.problems.append(failure.message)
                } catch {
                    plan.problems.append("object \(object.key): \(error)")
                }
                break
            }
        }
    }

    /// The records of `object` inside the time range, when its manifest's record times decide it.
    private static func knownCount(_ object: SourceObject, options: RestoreOptions) -> Int64? {
        guard let manifest = object.manifest, let oldest = manifest.minTimestamp, let newest = manifest.maxTimestamp else { return nil }
        if options.inTimeRange(oldest) && options.inTimeRange(newest) { return manifest.recordCount }
        if let to = options.toTime, oldest >= to { return 0 }
        if let from = options.fromTime, newest < from { return 0 }
        return nil
    }

    private static func countByReading(_ object: SourceObject, store: any ObjectStore, options: RestoreOptions) async throws -> Int64 {
        let reader = try await ObjectRecordReader.open(object, store: store, options: options)
        var batch = ObjectRecordReader.Batch(records: RecordBatch())
        var count: Int64 = 0
        while try await reader.next(into: &batch) {
            for i in 0..<batch.records.count where options.inTimeRange(batch.records.timestamp(at: i)) { count += 1 }
            if let damage = batch.damage { throw damage }
        }
        return count
    }
}
