import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import RecordFormats

/// Restore's main loop: reads every planned partition's objects (`BatchFeed`) and produces their
/// records into their destinations, the target partitions (`RestoreDestinations`), resuming each from
/// what its target already holds (`ResumeScan`), while `ResumeStateWriter` keeps the resume state.
/// Planned partitions (indices of `plan.partitions`) are restored in plan order, each into the target
/// partition of the same number; a repartitioned topic's partitions go, by key, into all of its
/// target's partitions (`restoreRepartitioned`).
// @unchecked Sendable: driven by one task; the tasks it starts get copies or the ledger (which locks).
final class ProduceLoop: @unchecked Sendable {
    struct Outcome {
        /// Target offset of each planned partition's first restored record (p → p only).
        var bases: [Int: Int64] = [:]
        /// Where the restore began in the target, for partitions whose base is past records restored
        /// from objects pruned since.
        var floors: [Int: Int64] = [:]
        /// The states of targets of partitions a prune has emptied, which this restore filled before.
        var prunedAwayStates: [TopicPartition: RestoreResumeState] = [:]
        /// Per source topic.
        var produced: [String: Int64] = [:]
        var alreadyPresent: [String: Int64] = [:]
        var filtered: Int64 = 0
        var warnings: [String] = []
    }

    let plan: RestorePlan
    let partitions: [PartitionPlan]
    let destinations: RestoreDestinations
    let options: RestoreOptions
    let store: any ObjectStore
    let states: ResumeStateStore
    let admin: KafkaAdmin
    let events: RestoreEvents
    let producer: RecordProducer
    let stateWriter: ResumeStateWriter
    var ledger: DeliveryLedger { producer.ledger }
    /// Source topics whose records were found to carry LogAppendTime (warned once each).
    private var logAppendTimeTopics = Set<String>()

    /// Resume state is read and written through `states`; `producer` is the restore's one producer.
    init(
        plan: RestorePlan, options: RestoreOptions, store: any ObjectStore, states: ResumeStateStore,
        admin: KafkaAdmin, producer: RecordProducer, events: RestoreEvents
    ) {
        self.producer = producer
        self.plan = plan
        partitions = plan.partitions
        destinations = RestoreDestinations(plan: plan, options: options)
        self.options = options
        self.store = store
        self.states = states
        self.admin = admin
        self.events = events
        stateWriter = ResumeStateWriter(
            destinations: destinations, states: states, ledger: producer.ledger, events: events,
            clock: options.clock)
    }

    func run(translator: inout GroupOffsetTranslator) async throws -> Outcome {
        // Every state is read and checked before anything is produced.
        var scan = try await ResumeScan.loadStates(destinations, states: states)
        if !scan.problems.isEmpty { throw RunFailure.problems(scan.problems.map(\.message)) }
        try await scan.readTargets(
            Array(destinations.indices), destinations: destinations, states: states, admin: admin,
            options: options)
        // Every target found wrong before producing, in one line: a rerun cannot cure any of them.
        let overfull =
            overfullTargets(scan) + Self.laterBackupProblems(partitions, destinations: destinations, loaded: scan.loaded, options: options)
        if !scan.problems.isEmpty || !overfull.isEmpty { throw RunFailure.problems(scan.problems.map(\.message) + overfull) }
        let starts = stateWriter.start(from: scan)
        // Every partition a prune cut off, in one line, before anything is produced.
        let admin = self.admin
        let away = try await states.prunedAway(plan.prunedAway, options: options) { try admin.endOffsets($0) }
        let lost =
            partitions.indices.compactMap { index -> String? in
                guard let destination = destinations.destinationOfPartition[index] else { return nil }
                return HeldRecords.lostToPrune(
                    starts[destination].state, tail: starts[destination].tail, partition: partitions[index],
                    stateDocument: states.key(partitions[index].target.topic, readFrom: scan.saved))
            } + away.lost
        if !lost.isEmpty { throw RunFailure.problems(lost) }
        let finished = Set(
            partitions.indices.filter { index in
                destinations.destinationOfPartition[index].map {
                    Self.isFinished(starts[$0], partitions[index], index: index, options: options, translator: translator)
                } ?? false
            })
        var leading: [Int: (objects: Int, records: Int64)] = [:]
        for index in partitions.indices where !finished.contains(index) {
            guard let destination = destinations.destinationOfPartition[index] else { continue }
            leading[index] = HeldRecords.leadingObjects(
                partitions[index], state: starts[destination].state, tail: starts[destination].tail,
                recordsNeeded: options.hasTimeFilter || translator.needsRecords(partition: index))
        }
        let producer = self.producer
        let feed = BatchFeed(
            partitions: partitions, skipping: finished, from: leading.mapValues(\.objects), store: store, options: options)
        // Batches come back from the producer once their records are reported, to be decoded into again.
        ledger.onReturn { [weak feed] in feed?.recycle($0) }
        let targetTopics = destinations.targetTopics
        try await options.onTarget { try producer.learn(topics: targetTopics) }
        var outcome = Outcome(prunedAwayStates: away.restored)
        for warning in scan.nonEmptyFreshTargets(destinations) { warn(warning, outcome: &outcome) }
        // Only what this run produces may meet a short retention: not what the targets hold already.
        var restoredBelow: [Int: Int64] = [:]
        for index in partitions.indices {
            guard let destination = destinations.destinationOfPartition[index] else { continue }
            restoredBelow[index] = finished.contains(index) ? .max : starts[destination].state.nextSourceOffset
        }
        for warning in RetentionCheck.warnings(plan, restoredBelow: restoredBelow, options: options) { warn(warning, outcome: &outcome) }
        do {
            for (index, partition) in partitions.enumerated() {
                if let destination = destinations.destinationOfPartition[index] {
                    if finished.contains(index) {
                        try await alreadyRestored(
                            index, partition, destination: destination, start: starts[destination],
                            translator: &translator, outcome: &outcome)
                        continue
                    }
                    try await restore(
                        index, partition, destination: destination, start: starts[destination],
                        heldUnread: leading[index]?.records ?? 0, feed: feed, translator: &translator, outcome: &outcome)
                } else if let group = destinations.repartitioned[partition.sourceTopic], group.partitions.first == index {
                    try await restoreRepartitioned(
                        group.partitions, destinations: group.destinations, starts: starts, feed: feed,
                        outcome: &outcome)
                }
            }
            // The reports of a whole queue take a while on a slow target: the state keeps up as they
            // come, as while producing (a run killed meanwhile left a state that confirmed nothing).
            let step = options.stateInterval
            var continuing = false
            while producer.unreported > 0 {
                try await KafkaBlocking.run { [continuing] in try producer.flush(timeout: step, continuing: continuing) }
                continuing = true
                if let failure = ledger.firstFailure { throw failure }
                if producer.unreported > 0 { try await stateWriter.save(.progress) }
            }
            if let failure = ledger.firstFailure { throw failure }
            try await stateWriter.save(.final)
        } catch let stop as ObserverStop {
            // As if killed: no state written after this point, and none still landing once the
            // run has returned (a test then edits the state as the next run should find it).
            await stateWriter.settle()
            throw stop.error
        } catch {
            // Leave a state the next run resumes from: whatever was confirmed delivered. A stopping
            // restore waits a little for what it has sent; a stalled target fails the wait at once.
            _ = try? await KafkaBlocking.run { try producer.flush(ignoringStop: true, timeout: Self.flushOnFailure) }
            await stateWriter.settle()
            try? await stateWriter.save(.final)
            // A refusal stops the producer (gapless): what failed after it, even producing, is its
            // consequence, and its own report (in by now) says why and whether a rerun can cure it.
            if ((error as? RunFailure)?.cause as? KafkaError)?.isConsequenceOfAnotherFailure == true, let cause = ledger.firstCause {
                throw cause
            }
            throw error
        }
        for destination in destinations.indices {
            outcome.produced[destinations[destination].sourceTopic, default: 0] += ledger.tally(of: destination)?.delivered ?? 0
        }
        return outcome
    }

    typealias Start = ResumeStateWriter.Start

    /// How long a failing or stopping restore waits for reports of records already sent.
    static let flushOnFailure: TimeInterval = 5

    /// Opens `destination` for production from `start`: counts what its target already holds.
    func open(_ destination: Int, start: Start, outcome: inout Outcome) async throws {
        let present = start.tail.count
        outcome.alreadyPresent[destinations[destination].sourceTopic, default: 0] += present
        ledger.open(destination: destination, nextTargetOffset: start.state.baseTargetOffset + present)
        try await stateWriter.open(destination, present: present)
    }

    /// Planned partition `index` into its one target partition, `destination`; its first
    /// `heldUnread` records are held and their objects not read (`HeldRecords.leadingObjects`).
    private func restore(
        _ index: Int, _ partition: PartitionPlan, destination: Int, start: Start, heldUnread: Int64, feed: BatchFeed,
        translator: inout GroupOffsetTranslator, outcome: inout Outcome
    ) async throws {
        let target = partition.target
        let state = start.state
        let tail = start.tail
        let (producer, unit) = (self.producer, index)
        outcome.bases[unit] = state.baseTargetOffset
        try await open(destination, start: start, outcome: &outcome)

        var held = HeldRecords(state: state, tail: tail, pruned: partition.prunedThrough != nil)
        held.skipped(heldUnread)
        // By offset, with nothing unconfirmed, the target's last record is the last held one below
        // `nextSourceOffset`: compared once the first record past it (or the end) says which it was.
        var lastBelow: (record: RecordFormats.KafkaRecord, object: String)?
        var lastHeld: Int64?
        // Nothing held (a fresh partition): every batch goes whole, unread record by record.
        var producing = tail.count == 0
        func passHeld() throws {
            guard !producing else { return }
            producing = true
            if let below = lastBelow, let last = tail.last {
                try Self.checkSame(below.record, last, target: target, object: below.object, hint: states.removalHint(target))
            }
            lastBelow = nil
            if let lastHeld { stateWriter.notePresent(destination, through: lastHeld) }
        }
        var index = heldUnread
        var continuity = ListedContinuity()
        var watch = DamageWatch()
        do {
            while let item = try await feed.next(for: unit) {
                let (object, damage, records) = try take(
                    item, sourceTopic: partition.sourceTopic, continuity: &continuity, outcome: &outcome)
                // nil: every record of the batch goes.
                var chosen: [Int]?
                if !options.hasTimeFilter && producing {
                    for i in 0..<records.count {
                        translator.observe(partition: unit, sourceOffset: records.offset(at: i), index: index)
                        index += 1
                    }
                } else {
                    chosen = []
                    for i in 0..<records.count {
                        if options.hasTimeFilter && !options.inTimeRange(records.timestamp(at: i)) {
                            outcome.filtered += 1
                            continue
                        }
                        let offset = records.offset(at: i)
                        translator.observe(partition: unit, sourceOffset: offset, index: index)
                        if !producing && held.isHeld(index: index, offset: offset) {
                            lastHeld = offset
                            watch.reached(object.key, destination, from: offset)
                            if held.isTargetsLast(index: index, offset: offset), let last = tail.last {
                                try Self.checkSame(
                                    records.record(at: i), last, target: target, object: object.key, hint: states.removalHint(target))
                            } else if held.mayBeLastBelowNext(
                                offset: offset, following: i + 1 < records.count ? records.offset(at: i + 1) : nil)
                            {
                                lastBelow = (records.record(at: i), object.key)
                            }
                        } else {
                            try passHeld()
                            chosen?.append(i)
                        }
                        index += 1
                    }
                }
                if chosen.map({ !$0.isEmpty }) ?? !records.isEmpty {
                    let indices = chosen
                    watch.reached(object.key, destination, from: records.offset(at: chosen?.first ?? 0))
                    try await KafkaBlocking.run { try producer.produce(records, indices, to: target, destination: destination) }
                } else {
                    feed.recycle(records)
                }
                try await afterBatch(partition, done: unit)
                if let damage { throw damage }
            }
        } catch {
            watch.mark(error, in: stateWriter, at: options.clock())
            throw error
        }
        try passHeld()
        guard held.accountsForTarget(planned: index) else {
            let plan =
                held.byOffset
                ? "this restore's plan (the store was pruned since it began) does not account for them"
                : "this restore has only \(index) for it"
            throw RunFailure.invalidInput(
                "target \(target) holds \(tail.count) records after offset \(state.baseTargetOffset), but \(plan); another producer wrote into it. \(states.removalHint(target))"
            )
        }
        // Records the target holds from objects pruned since: the plan's first restored record comes after them.
        outcome.bases[unit] = state.baseTargetOffset + held.shift
        outcome.floors[unit] = state.baseTargetOffset
        translator.finish(partition: unit, total: index)
        stateWriter.setPlanned(destination, records: held.shift + index)
        report(partition, done: unit + 1)
    }

    /// After each batch: stops at the first failed delivery or a stop request; every few seconds,
    /// serves delivery reports, writes the state that changed and reports progress.
    func afterBatch(_ partition: PartitionPlan, done: Int) async throws {
        if let failure = ledger.firstFailure { throw failure }
        try producer.checkStop()
        if stateWriter.isDue(every: options.stateInterval) {
            let producer = self.producer
            await KafkaBlocking.runQuietly { producer.poll() }
            try await stateWriter.save(.progress)
            report(partition, done: done)
        }
    }

    /// Targets holding more records since their restore began than it has for them (counted as
    /// `restore` counts them: not in a pruned partition, a time range or a repartitioned topic,
    /// which are checked as they are produced).
    private func overfullTargets(_ scan: ResumeScan) -> [String] {
        guard !options.hasTimeFilter else { return [] }
        return partitions.indices.compactMap { index in
            let partition = partitions[index]
            guard partition.prunedThrough == nil, let destination = destinations.destinationOfPartition[index],
                let state = scan.loaded[destination], let tail = scan.tails[destination], let records = partition.records,
                tail.count > records
            else { return nil }
            return
                "target \(partition.target) holds \(tail.count) records after offset \(state.baseTargetOffset), but this restore has only \(records) for it; another producer wrote into it. \(states.removalHint(partition.target))"
        }
    }

    /// A partition an earlier run restored whole: its state says every planned record was delivered,
    /// the plan still has exactly that many (in a pruned partition: ends below the state's next
    /// offset), and the target holds them after the base. Nothing of it is read again. With a time range (the state counts only the records in range) or a group
    /// offset to translate (that needs the records' offsets), the partition is read as usual.
    static func isFinished(
        _ start: Start, _ partition: PartitionPlan, index: Int, options: RestoreOptions,
        translator: GroupOffsetTranslator
    ) -> Bool {
        guard !options.hasTimeFilter, !translator.needsRecords(partition: index) else { return false }
        if partition.prunedThrough != nil {
            // A prune changes the counts (as many new records as pruned ones would match them): the
            // plan must end below the next offset, with nothing delivered past it unconfirmed.
            guard let last = partition.objects.last?.manifest?.lastOffset else { return false }
            return last < start.state.nextSourceOffset && start.tail.count == start.state.deliveredRecords
        }
        return holdsEveryPlannedRecord(start.state, tail: start.tail, partition: partition)
    }

    /// By count: the state planned as many records as the plan has, delivered them all, and the
    /// target holds exactly those (true of a finished partition no prune has touched since).
    static func holdsEveryPlannedRecord(_ state: RestoreResumeState, tail: TargetTail, partition: PartitionPlan) -> Bool {
        guard let planned = state.plannedRecords, let records = partition.records else { return false }
        return planned == records && state.deliveredRecords == planned && tail.count == planned
    }

    /// Planned partition `index`, which its destination's target already holds whole.
    private func alreadyRestored(
        _ index: Int, _ partition: PartitionPlan, destination: Int, start: Start,
        translator: inout GroupOffsetTranslator, outcome: inout Outcome
    ) async throws {
        let count = start.tail.count
        outcome.bases[index] = start.state.baseTargetOffset
        try await open(destination, start: start, outcome: &outcome)
        translator.finish(partition: index, total: count)
        stateWriter.setPlanned(destination, records: count)
        report(partition, done: index + 1)
    }

    func report(_ partition: PartitionPlan, done: Int) {
        let target = destinations.repartitioned[partition.sourceTopic] == nil ? "\(partition.target)" : "\(partition.targetTopic) (by key)"
        events.progress(
            RestoreProgressReport(
                partition: "\(partition.source) → \(target)", partitionsDone: done,
                partitionsTotal: partitions.count, producedRecords: ledger.totalDelivered,
                alreadyPresentRecords: stateWriter.alreadyPresent))
    }

    /// Each warning is given once.
    func warn(_ warning: String, outcome: inout Outcome) {
        guard !outcome.warnings.contains(warning) else { return }
        events.warning(warning)
        outcome.warnings.append(warning)
    }

    /// What every batch goes through before its records go out, in order or repartitioned: the
    /// listing's continuity at each new object and the LogAppendTime note; the records are taken out
    /// of the item (the only copy but the producer's loan, so the feed can reuse its buffers once
    /// that ends).
    func take(
        _ item: consuming BatchFeed.Item, sourceTopic: String, continuity: inout ListedContinuity, outcome: inout Outcome
    ) throws -> (object: SourceObject, damage: RunFailure?, records: RecordBatch) {
        let object = item.object
        let damage = item.batch.damage
        if item.startsObject, let warning = try continuity.check(object) { warn(warning, outcome: &outcome) }
        if item.batch.logAppendTime { noteLogAppendTime(sourceTopic, outcome: &outcome) }
        let records = (consume item).batch.records
        if !records.isEmpty { continuity.advance(object, lastOffset: records.offset(at: records.count - 1)) }
        return (object, damage, records)
    }

    /// The records themselves say LogAppendTime, whatever the topic was recorded as: they keep their
    /// times, as CreateTime. Once per topic, and not again when the plan said so from the manifest.
    func noteLogAppendTime(_ topic: String, outcome: inout Outcome) {
        guard logAppendTimeTopics.insert(topic).inserted else { return }
        if plan.topics.first(where: { $0.sourceTopic == topic })?.manifestTopic?.timestampType == .logAppendTime { return }
        warn(
            "topic \(topic): its records carry LogAppendTime timestamps (set by the source broker); they are restored with those times, as CreateTime",
            outcome: &outcome)
    }

    /// The target's last record must be the source record the count points at, or the target holds
    /// records this restore did not write and skipping by count would lose or duplicate some.
    static func checkSame(
        _ source: RecordFormats.KafkaRecord, _ target: TailRecord, target tp: TopicPartition, object: String,
        hint: String
    ) throws {
        // A time of 0 or below cannot be produced (librdkafka stamps the time of restore instead).
        let sameTime =
            target.timestamp.kind != .createTime || source.timestampType == .notAvailable || source.timestamp <= 0
            || source.timestamp == target.timestamp.milliseconds
        // The target itself is at fault: a rerun meets the same record there (exit 2, as the dry run says).
        guard target.holdsTheBytes(of: source), sameTime else {
            throw RunFailure.invalidInput(
                "target \(tp): its record at offset \(target.offset) is not source record \(source.offset) (\(object)) that this restore put there; another producer wrote into it. \(hint)"
            )
        }
    }
}

extension KafkaBlocking {
    /// Runs a non-throwing blocking call off the cooperative pool.
    static func runQuietly(_ body: @escaping @Sendable () -> Void) async {
        _ = try? await run { body() }
    }
}
