import Foundation
import Kafka
import Layout
import ObjectStore
import RecordFormats

/// Produces every planned partition, resuming each target partition from what it already holds.
/// Planned partitions (indices of `plan.partitions`) are read in order; slots (`RestoreSlots`) are the
/// target partitions written, one per planned partition, or a repartitioned topic's target partitions.
// @unchecked Sendable: driven by one task; the state-saving task it starts gets copies, and one save runs at a time.
final class PartitionRun: @unchecked Sendable {
    struct Outcome {
        /// Target offset of each planned partition's first restored record (p → p only).
        var bases: [Int: Int64] = [:]
        /// Per source topic.
        var produced: [String: Int64] = [:]
        var alreadyPresent: [String: Int64] = [:]
        var filtered: Int64 = 0
        var warnings: [String] = []
    }

    let plan: RestorePlan
    let partitions: [PartitionPlan]
    let slots: RestoreSlots
    let options: RestoreOptions
    let store: any ObjectStore
    let states: ResumeStateStore
    let admin: KafkaAdmin
    let events: RestoreEvents
    let producer: RecordProducer
    var ledger: DeliveryLedger { producer.ledger }
    /// Each slot's state as it stands, and as last written (or read); a topic's document is
    /// written when one of its opened slots has changed since.
    var current: [RestoreResumeState] = []
    private var written: [Int: RestoreResumeState] = [:]
    /// Slots whose production has begun (their first state is written).
    var opened: Set<Int> = []
    var skipped: [Int: Int64] = [:]
    /// Target topics in plan order, with their slots, and the saved states of their partitions this
    /// restore does not touch (kept in every write of the topic's document).
    private let topicOrder: [String]
    private let slotsOf: [String: [Int]]
    private var kept: [String: [RestoreResumeState]] = [:]
    private var version1Keys: [String: [String]] = [:]
    var lastSave = Date()
    /// Source topics whose records were found to carry LogAppendTime (warned once each).
    private var logAppendTimeTopics = Set<String>()
    /// The round of state writes in flight, if any: at most one at a time, so production never
    /// waits on a disk or a store, and a document's writes keep their order.
    private var saving: Task<Void, Error>?

    init(plan: RestorePlan, options: RestoreOptions, store: any ObjectStore, states: ResumeStateStore,
         admin: KafkaAdmin, producer: RecordProducer, events: RestoreEvents) {
        self.producer = producer
        self.plan = plan
        partitions = plan.partitions
        slots = RestoreSlots(plan: plan, options: options)
        self.options = options
        self.store = store
        self.states = states
        self.admin = admin
        self.events = events
        var order: [String] = [], slots: [String: [Int]] = [:]
        for slot in self.slots.indices {
            let topic = self.slots[slot].target.topic
            if slots[topic] == nil { order.append(topic) }
            slots[topic, default: []].append(slot)
        }
        topicOrder = order
        slotsOf = slots
    }

    func restoreAll(translator: inout GroupOffsetTranslator) async throws -> Outcome {
        // Every state is read and checked before anything is produced.
        var scan = try await ResumeScan.loadStates(slots, states: states)
        if let problem = scan.problems.first { throw problem }
        let planned = Set(slots.all.map(\.target))
        for (target, state) in scan.saved.partitions where !planned.contains(target) {
            kept[target.topic, default: []].append(state)
        }
        version1Keys = scan.saved.version1Keys
        try await scan.readTargets(Array(slots.indices), slots: slots, states: states, admin: admin, options: options)
        if let problem = scan.problems.first { throw problem }
        let starts = prepare(scan)
        let finished = Set(partitions.indices.filter { index in
            slots.slotOfPartition[index].map { Self.isFinished(starts[$0], partitions[index], index: index, options: options, translator: translator) } ?? false
        })
        let producer = self.producer
        let feed = BatchFeed(partitions: partitions, skipping: finished, store: store, options: options)
        // Batches come back from the producer once their records are reported, to be decoded into again.
        ledger.onReturn { [weak feed] in feed?.recycle($0) }
        let targetTopics = topicOrder
        try await options.onTarget { try producer.learn(topics: targetTopics) }
        var outcome = Outcome()
        do {
            for (index, partition) in partitions.enumerated() {
                if let slot = slots.slotOfPartition[index] {
                    if finished.contains(index) {
                        try await alreadyRestored(index, partition, slot: slot, start: starts[slot], translator: &translator, outcome: &outcome)
                        continue
                    }
                    try await restore(index, partition, slot: slot, start: starts[slot], feed: feed,
                                      translator: &translator, outcome: &outcome)
                } else if let group = slots.repartitioned[partition.sourceTopic], group.partitions.first == index {
                    try await restoreRepartitioned(group.partitions, slots: group.slots, starts: starts, feed: feed, outcome: &outcome)
                }
            }
            try await KafkaBlocking.run { try producer.flush() }
            if let failure = ledger.firstFailure { throw RestoreError.failure(failure) }
            try await saveStates(.final)
        } catch is SimulatedKill {
            // As if killed: no state written after this point, and none still landing once the
            // run has returned (a test then edits the state as the next run should find it).
            await settleWrites()
            throw SimulatedKill()
        } catch {
            // Leave a state the next run resumes from: whatever was confirmed delivered. A stopping
            // restore waits a little for what it has sent; a stalled target fails the wait at once.
            _ = try? await KafkaBlocking.run { try producer.flush(ignoringStop: true, timeout: Self.flushOnFailure) }
            await settleWrites()
            try? await saveStates(.final)
            throw error
        }
        for slot in slots.indices {
            outcome.produced[slots[slot].sourceTopic, default: 0] += ledger.slot(slot)?.delivered ?? 0
        }
        return outcome
    }

    /// Where a partition's restore starts: its state, and what its target already holds of it.
    struct Start {
        var state: RestoreResumeState
        var tail: TargetTail
    }

    /// Before anything is produced: where each slot starts (from the scan of its state and target), and
    /// a first state for every new slot (its base: the end offset noted now), so a run killed at any
    /// later moment can count its records.
    private func prepare(_ scan: ResumeScan) -> [Start] {
        var starts: [Start] = []
        var fresh = Set<Int>()
        for slot in slots.indices {
            let planned = slots[slot]
            if let existing = scan.loaded[slot] {
                starts.append(Start(state: existing, tail: scan.tails[slot] ?? TargetTail(count: 0, last: nil)))
            } else {
                let state = RestoreResumeState(
                    partition: planned.target.partition, sourceTopic: planned.sourceTopic,
                    nextSourceOffset: planned.firstSourceOffset, configHash: planned.configHash,
                    baseTargetOffset: scan.ends[slot] ?? 0, deliveredRecords: 0, plannedRecords: planned.plannedRecords,
                    updatedAt: Date())
                fresh.insert(slot)
                starts.append(Start(state: state, tail: TargetTail(count: 0, last: nil)))
            }
        }
        current = starts.map(\.state)
        written = scan.loaded
        startSaving(fresh: fresh)
        return starts
    }

    /// The first write of each topic's document that needs one (a partition without a state, or
    /// version 1 documents to replace), in plan order, a few at a time: a partition's records are
    /// produced only once its topic's document is written, while later ones are written meanwhile.
    private var firstSaves: [String: Task<Void, Error>] = [:]

    private func startSaving(fresh: Set<Int>) {
        var started: [Task<Void, Error>] = []
        for topic in topicOrder {
            let slots = slotsOf[topic] ?? [], stale = version1Keys[topic] ?? []
            guard slots.contains(where: fresh.contains) || !stale.isEmpty else { continue }
            let document = documentToWrite(topic)
            let before = started.count >= Self.storeConcurrency ? started[started.count - Self.storeConcurrency] : nil
            let states = self.states, events = self.events
            let task = Task {
                try await before?.value
                try await states.save(topic: topic, document)
                do {
                    try await states.removeVersion1(stale)
                } catch {
                    // Harmless: a topic's document wins over them.
                    events.warning("\(error)")
                }
            }
            firstSaves[topic] = task
            started.append(task)
        }
    }

    /// Waits for the state writes in flight (their errors do not matter to a run already failing).
    private func settleWrites() async {
        for task in firstSaves.values { _ = try? await task.value }
        if let previous = saving {
            saving = nil
            _ = try? await previous.value
        }
    }

    /// Returns once the first state of partition `slot` (if it needed one) is written.
    func firstStateWritten(_ slot: Int) async throws {
        try await firstSaves[slots[slot].target.topic]?.value
    }

    /// A topic's document as it stands (its planned partitions' states and those it keeps), noted as
    /// written: the caller writes it.
    private func documentToWrite(_ topic: String) -> [RestoreResumeState] {
        let slots = slotsOf[topic] ?? []
        for slot in slots { written[slot] = current[slot] }
        return slots.map { current[$0] } + (kept[topic] ?? [])
    }

    /// Store and broker requests in flight at once while preparing and saving states.
    static let storeConcurrency = 16
    /// How long a failing or stopping restore waits for reports of records already sent.
    static let flushOnFailure: TimeInterval = 5

    /// Opens `slot` for production from `start`: counts what its target already holds.
    func open(_ slot: Int, start: Start, outcome: inout Outcome) async throws {
        let skip = start.tail.count
        current[slot].deliveredRecords = skip
        skipped[slot] = skip
        outcome.alreadyPresent[slots[slot].sourceTopic, default: 0] += skip
        ledger.open(slot: slot, nextTargetOffset: start.state.baseTargetOffset + skip)
        try await firstStateWritten(slot)
        opened.insert(slot)
    }

    /// Planned partition `index` into its one target partition, `slot`.
    private func restore(_ index: Int, _ partition: PartitionPlan, slot: Int, start: Start, feed: BatchFeed,
                         translator: inout GroupOffsetTranslator, outcome: inout Outcome) async throws {
        let target = partition.target
        let state = start.state
        let tail = start.tail
        let skip = tail.count
        let (producer, unit) = (self.producer, index)
        outcome.bases[unit] = state.baseTargetOffset
        try await open(slot, start: start, outcome: &outcome)

        var index: Int64 = 0
        var continuity = ListedContinuity()
        while let item = try await feed.next(for: unit) {
            let object = item.object, damage = item.batch.damage
            if item.startsObject, let warning = try continuity.check(object) { warn(warning, outcome: &outcome) }
            if item.batch.logAppendTime { noteLogAppendTime(partition.sourceTopic, outcome: &outcome) }
            // The only copy but the producer's loan, so the feed can reuse its buffers once that ends.
            let records = (consume item).batch.records
            if !records.isEmpty { continuity.advance(object, lastOffset: records.offset(at: records.count - 1)) }
            // nil: every record of the batch goes.
            var chosen: [Int]?
            if !options.hasTimeFilter && index >= skip {
                for i in 0..<records.count {
                    translator.observe(slot: unit, sourceOffset: records.offset(at: i), index: index)
                    index += 1
                }
            } else {
                chosen = []
                for i in 0..<records.count {
                    if options.hasTimeFilter && !options.inTimeRange(records.timestamp(at: i)) {
                        outcome.filtered += 1
                        continue
                    }
                    translator.observe(slot: unit, sourceOffset: records.offset(at: i), index: index)
                    if index < skip {
                        if index == skip - 1, let last = tail.last {
                            try Self.checkSame(records.record(at: i), last, target: target, object: object.key, hint: states.removalHint(target))
                        }
                    } else {
                        chosen?.append(i)
                    }
                    index += 1
                }
            }
            if chosen.map({ !$0.isEmpty }) ?? !records.isEmpty {
                let indices = chosen
                try await KafkaBlocking.run { try producer.produce(records, indices, to: target, slot: slot) }
            } else {
                feed.recycle(records)
            }
            try await afterBatch(partition, done: unit)
            if let damage { throw damage }
        }
        if index < skip {
            throw RestoreError.failure("target \(target) holds \(skip) records after offset \(state.baseTargetOffset), but this restore has only \(index) for it; another producer wrote into it. \(states.removalHint(target))")
        }
        translator.finish(slot: unit, total: index)
        current[slot].plannedRecords = index
        report(partition, done: unit + 1)
    }

    /// After each batch: stops at the first failed delivery or a stop request; every few seconds,
    /// serves delivery reports, writes the state that changed and reports progress.
    func afterBatch(_ partition: PartitionPlan, done: Int) async throws {
        if let failure = ledger.firstFailure { throw RestoreError.failure(failure) }
        try producer.checkStop()
        if Date().timeIntervalSince(lastSave) >= options.stateInterval {
            let producer = self.producer
            await KafkaBlocking.runQuietly { producer.poll() }
            try await saveStates(.progress)
            report(partition, done: done)
        }
    }

    /// A partition an earlier run restored whole: its state says every planned record was delivered,
    /// the plan still has exactly that many, and the target holds them after the base. Nothing of it
    /// is read again. With a time range (the state counts only the records in range) or a group
    /// offset to translate (that needs the records' offsets), the partition is read as usual.
    static func isFinished(_ start: Start, _ partition: PartitionPlan, index: Int, options: RestoreOptions,
                           translator: GroupOffsetTranslator) -> Bool {
        guard !options.hasTimeFilter, let planned = start.state.plannedRecords, let records = partition.records else { return false }
        return planned == records && start.state.deliveredRecords == planned && start.tail.count == planned
            && !translator.needsRecords(slot: index)
    }

    /// Planned partition `index`, which its slot's target already holds whole.
    private func alreadyRestored(_ index: Int, _ partition: PartitionPlan, slot: Int, start: Start,
                                 translator: inout GroupOffsetTranslator, outcome: inout Outcome) async throws {
        let count = start.tail.count
        outcome.bases[index] = start.state.baseTargetOffset
        try await open(slot, start: start, outcome: &outcome)
        translator.finish(slot: index, total: count)
        current[slot].plannedRecords = count
        report(partition, done: index + 1)
    }

    func report(_ partition: PartitionPlan, done: Int) {
        let target = slots.repartitioned[partition.sourceTopic] == nil ? "\(partition.target)" : "\(partition.targetTopic) (by key)"
        events.progress(RestoreProgressReport(partition: "\(partition.source) → \(target)", partitionsDone: done,
                                              partitionsTotal: partitions.count, producedRecords: ledger.totalDelivered,
                                              alreadyPresentRecords: skipped.values.reduce(0, +)))
    }

    /// Each warning is given once.
    func warn(_ warning: String, outcome: inout Outcome) {
        guard !outcome.warnings.contains(warning) else { return }
        events.warning(warning)
        outcome.warnings.append(warning)
    }

    /// The records themselves say LogAppendTime, whatever the topic was recorded as: they keep their
    /// times, as CreateTime. Once per topic, and not again when the plan said so from the manifest.
    func noteLogAppendTime(_ topic: String, outcome: inout Outcome) {
        guard logAppendTimeTopics.insert(topic).inserted else { return }
        if plan.topics.first(where: { $0.sourceTopic == topic })?.manifestTopic?.timestampType == .logAppendTime { return }
        warn("topic \(topic): its records carry LogAppendTime timestamps (set by the source broker); they are restored with those times, as CreateTime", outcome: &outcome)
    }

    /// The target's last record must be the source record the count points at, or the target holds
    /// records this restore did not write and skipping by count would lose or duplicate some.
    static func checkSame(_ source: RecordFormats.KafkaRecord, _ target: ConsumedRecord, target tp: TopicPartition, object: String,
                          hint: String) throws {
        let sameTime = target.timestamp.kind != .createTime || source.timestampType == .notAvailable
            || source.timestamp == target.timestamp.milliseconds
        guard source.key == target.key, source.value == target.value, sameTime else {
            throw RestoreError.failure("target \(tp): its record at offset \(target.offset) is not source record \(source.offset) (\(object)) that this restore put there; another producer wrote into it. \(hint)")
        }
    }

    enum SaveRound {
        /// In the background, while production goes on.
        case progress
        /// At the end; waits for the writes.
        case final
    }

    /// Writes the documents of topics with an opened partition whose state (from the ledger: only
    /// delivery reports advance it) changed since it was last written, after the round before has
    /// been written (its error, if any, is thrown here).
    func saveStates(_ round: SaveRound) async throws {
        if let previous = saving {
            saving = nil
            try await previous.value
        }
        lastSave = Date()
        var touched = Set<String>()
        for slot in opened {
            guard let counted = ledger.slot(slot) else { continue }
            var state = current[slot]
            state.deliveredRecords = (skipped[slot] ?? 0) + counted.delivered
            if let last = counted.lastSourceOffset { state.nextSourceOffset = last + 1 }
            if let before = written[slot], state.sameProgress(as: before) { continue }
            state.updatedAt = Date()
            current[slot] = state
            touched.insert(slots[slot].target.topic)
        }
        let documents = topicOrder.filter(touched.contains).map { (topic: $0, states: documentToWrite($0)) }
        if documents.isEmpty { return }
        let states = self.states
        let write = { @Sendable in
            _ = try await mapConcurrently(documents, limit: Self.storeConcurrency) { try await states.save(topic: $0.topic, $0.states) }
        }
        if round == .final { try await write() } else { saving = Task { try await write() } }
    }
}

extension KafkaBlocking {
    /// Runs a non-throwing blocking call off the cooperative pool.
    static func runQuietly(_ body: @escaping @Sendable () -> Void) async {
        _ = try? await run { body() }
    }
}
