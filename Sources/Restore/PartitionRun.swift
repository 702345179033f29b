import Foundation
import Kafka
import Layout
import ObjectStore
import SigV4
import Synchronization

/// Produces every planned partition, resuming each from what its target already holds.
final class PartitionRun: @unchecked Sendable {
    struct Outcome {
        /// Target offset of each slot's first restored record.
        var bases: [Int: Int64] = [:]
        var produced: [Int: Int64] = [:]
        var alreadyPresent: [Int: Int64] = [:]
        var filtered: Int64 = 0
        var warnings: [String] = []
    }

    let plan: RestorePlan
    let partitions: [PartitionPlan]
    let options: RestoreOptions
    let store: any ObjectStore
    let states: ResumeStateStore
    let admin: KafkaAdmin
    let events: RestoreEvents
    private let producer: RecordProducer
    private var ledger: DeliveryLedger { producer.ledger }
    private var resume: [Int: RestoreResumeState] = [:]
    private var skipped: [Int: Int64] = [:]
    private var lastSave = Date()
    /// The round of state writes in flight, if any: at most one at a time, so production never
    /// waits on a disk or a store, and a partition's writes keep their order.
    private var saving: (task: Task<Void, Error>, done: DoneFlag)?
    /// Partitions produced to the end, and those of them whose final state is written.
    private var finished: Set<Int> = []
    private var finalWritten: Set<Int> = []

    init(plan: RestorePlan, options: RestoreOptions, store: any ObjectStore, states: ResumeStateStore,
         admin: KafkaAdmin, producer: RecordProducer, events: RestoreEvents) {
        self.producer = producer
        self.plan = plan
        partitions = plan.partitions
        self.options = options
        self.store = store
        self.states = states
        self.admin = admin
        self.events = events
    }

    /// The settings that decide which source records a partition restores, in order; a state
    /// written under other settings is not resumed.
    func configHash(_ partition: PartitionPlan) -> String {
        let text = [
            "source=\(partition.source)", "target=\(partition.target)",
            "files=\(options.topicRegexList?.entry(for: partition.sourceTopic)?.regex.pattern ?? "*")",
            "from-time=\(options.fromTime.map(String.init) ?? "")", "to-time=\(options.toTime.map(String.init) ?? "")",
            "as-of=\(options.asOf?.rawValue ?? "")",
        ].joined(separator: "\n")
        return Digest.hex(Digest.sha256(Array(text.utf8)))
    }

    func restoreAll(translator: inout GroupOffsetTranslator) async throws -> Outcome {
        // Every state is read and checked before anything is produced.
        var loaded: [Int: RestoreResumeState] = [:]
        let states = self.states
        let found = try await mapConcurrently(partitions.map(\.target), limit: Self.storeConcurrency) { try await states.load($0) }
        for (slot, partition) in partitions.enumerated() {
            guard let state = found[slot] else { continue }
            if state.configHash != configHash(partition) || state.sourceTopic != partition.sourceTopic {
                throw RestoreError.invalidInput("restore state \(states.key(partition.target)) was written by a restore with other settings (source topic, files, time range or as-of); remove it, or use another --state-dir, to restore \(partition.target) again")
            }
            loaded[slot] = state
        }
        let starts = try await prepare(loaded)
        let producer = self.producer
        let feed = BatchFeed(partitions: partitions, store: store, options: options)
        // Batches come back from the producer once their records are reported, to be decoded into again.
        ledger.onReturn { [weak feed] in feed?.recycle($0) }
        let targetTopics = Array(Set(partitions.map(\.target.topic))).sorted()
        try await KafkaBlocking.run { try producer.learn(topics: targetTopics) }
        var outcome = Outcome()
        do {
            for (slot, partition) in partitions.enumerated() {
                try await restore(slot: slot, partition, start: starts[slot], producer: producer, feed: feed,
                                  translator: &translator, outcome: &outcome)
            }
            try await KafkaBlocking.run { try producer.flush() }
            if let failure = ledger.firstFailure { throw RestoreError.failure(failure) }
            try await saveStates(.final)
        } catch is SimulatedKill {
            throw SimulatedKill()
        } catch {
            // Leave a state the next run resumes from: whatever was confirmed delivered.
            _ = try? await KafkaBlocking.run { try producer.flush() }
            for task in firstSaves.values { _ = try? await task.value }
            if let previous = saving {
                saving = nil
                _ = try? await previous.task.value
            }
            try? await saveStates(.final)
            throw error
        }
        for slot in partitions.indices {
            outcome.produced[slot] = ledger.slot(slot)?.delivered ?? 0
        }
        return outcome
    }

    /// Where a partition's restore starts: its state, and what its target already holds of it.
    struct Start {
        var state: RestoreResumeState
        var tail: TargetTail
    }

    /// Before anything is produced: every target's end offset, the tails of the targets a state says
    /// were restored into (read together by one reader), and a first state for every new partition
    /// (its base: the end offset noted now), so a run killed at any later moment can count its records.
    private func prepare(_ loaded: [Int: RestoreResumeState]) async throws -> [Start] {
        let admin = self.admin
        let targets = partitions.map { KafkaTopicPartition(topic: $0.target.topic, partition: $0.target.partition) }
        let found: [KafkaTopicPartition: Int64]
        do {
            found = try await KafkaBlocking.run { try admin.endOffsets(targets) }
        } catch {
            throw RestoreError.failure("target cluster \(options.kafka.bootstrapServers): cannot read the end offsets of the target partitions: \(error)")
        }
        let ends = targets.map { found[$0] ?? 0 }
        var tailRequests: [TargetTail.Request] = []
        for (slot, existing) in loaded.sorted(by: { $0.key < $1.key }) {
            let target = partitions[slot].target
            if ends[slot] < existing.baseTargetOffset {
                throw RestoreError.failure("target \(target) ends at offset \(ends[slot]), before offset \(existing.baseTargetOffset) where this restore began; was it deleted and re-created? Remove \(states.key(target)) to restore it again")
            }
            tailRequests.append(TargetTail.Request(target: target, base: existing.baseTargetOffset, endHint: ends[slot]))
        }
        let config = options.kafka
        let requests = tailRequests
        let tails = requests.isEmpty ? [:] : try await KafkaBlocking.run { try TargetTail.read(config: config, requests) }
        var starts: [Start] = []
        var fresh: [RestoreResumeState] = []
        for (slot, partition) in partitions.enumerated() {
            if let existing = loaded[slot] {
                let tail = tails[partition.target] ?? TargetTail(count: 0, last: nil)
                if tail.count < existing.deliveredRecords {
                    throw RestoreError.failure("target \(partition.target) holds \(tail.count) records after offset \(existing.baseTargetOffset), fewer than the \(existing.deliveredRecords) this restore confirmed; was it deleted or truncated? Remove \(states.key(partition.target)) to restore it again")
                }
                starts.append(Start(state: existing, tail: tail))
            } else {
                let state = RestoreResumeState(
                    sourceTopic: partition.sourceTopic, targetTopic: partition.target.topic, partition: partition.target.partition,
                    nextSourceOffset: partition.objects.first?.name.startOffset ?? 0, configHash: configHash(partition),
                    updatedAt: Date(), baseTargetOffset: ends[slot], deliveredRecords: 0, plannedRecords: partition.records)
                fresh.append(state)
                starts.append(Start(state: state, tail: TargetTail(count: 0, last: nil)))
            }
        }
        startSaving(fresh)
        return starts
    }

    /// First states written so far, in plan order, a group of partitions at a time: a partition's
    /// records are produced only once its group is written, while later groups are written meanwhile.
    private var firstSaves: [Int: Task<Void, Error>] = [:]
    private static let firstSaveGroup = 32

    private func startSaving(_ fresh: [RestoreResumeState]) {
        let slotOf = Dictionary(uniqueKeysWithValues: partitions.enumerated().map { ($0.element.target, $0.offset) })
        var previous: Task<Void, Error>?
        let byGroup = Dictionary(grouping: fresh) { (slotOf[TopicPartition($0.targetTopic, $0.partition)] ?? 0) / Self.firstSaveGroup }
        for group in byGroup.keys.sorted() {
            let states = byGroup[group] ?? [], before = previous
            let task = Task {
                try await before?.value
                try await self.saveConcurrently(states)
            }
            firstSaves[group] = task
            previous = task
        }
    }

    /// Returns once the first state of partition `slot` (if it needed one) is written.
    private func firstStateWritten(_ slot: Int) async throws {
        try await firstSaves[slot / Self.firstSaveGroup]?.value
    }

    /// Store and broker requests in flight at once while preparing and saving states.
    static let storeConcurrency = 16

    /// Writes states a few at a time: each is a durable write of its own.
    private func saveConcurrently(_ states: [RestoreResumeState]) async throws {
        let store = self.states
        _ = try await mapConcurrently(states, limit: Self.storeConcurrency) { try await store.save($0) }
    }

    private func restore(slot: Int, _ partition: PartitionPlan, start: Start, producer: RecordProducer, feed: BatchFeed,
                         translator: inout GroupOffsetTranslator, outcome: inout Outcome) async throws {
        let target = partition.target
        var state = start.state
        let tail = start.tail
        let skip = tail.count
        state.deliveredRecords = skip
        resume[slot] = state
        skipped[slot] = skip
        outcome.bases[slot] = state.baseTargetOffset
        outcome.alreadyPresent[slot] = skip
        ledger.open(slot: slot, nextTargetOffset: state.baseTargetOffset + skip)
        try await firstStateWritten(slot)

        var index: Int64 = 0
        var nextOffset: Int64?
        while let item = try await feed.next(for: slot) {
            let object = item.object, damage = item.batch.damage
            if item.startsObject, object.manifest == nil, let expected = nextOffset {
                try checkListedContinuity(object, expected: expected, target: target, outcome: &outcome)
            }
            // The only copy but the producer's loan, so the feed can reuse its buffers once that ends.
            let records = (consume item).batch.records
            if !records.isEmpty { nextOffset = records.offset(at: records.count - 1) + 1 }
            // nil: every record of the batch goes.
            var chosen: [Int]?
            if !options.hasTimeFilter && index >= skip {
                for i in 0..<records.count {
                    translator.observe(slot: slot, sourceOffset: records.offset(at: i), index: index)
                    index += 1
                }
            } else {
                chosen = []
                for i in 0..<records.count {
                    if options.hasTimeFilter && !options.inTimeRange(records.timestamp(at: i)) {
                        outcome.filtered += 1
                        continue
                    }
                    translator.observe(slot: slot, sourceOffset: records.offset(at: i), index: index)
                    if index < skip {
                        if index == skip - 1, let last = tail.last {
                            try Self.checkSame(records.record(at: i), last, target: target, object: object.key)
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
            if let failure = ledger.firstFailure { throw RestoreError.failure(failure) }
            if Date().timeIntervalSince(lastSave) >= options.stateInterval {
                await KafkaBlocking.runQuietly { producer.poll() }
                try await saveStates(.progress)
                report(partition, done: slot)
            }
            if let damage { throw damage }
        }
        if index < skip {
            throw RestoreError.failure("target \(target) holds \(skip) records after offset \(state.baseTargetOffset), but this restore has only \(index) for it; another producer wrote into it. Remove \(states.key(target)) to restore it again")
        }
        translator.finish(slot: slot, total: index)
        resume[slot]?.plannedRecords = index
        finished.insert(slot)
        // Partitions whose records have all been delivered by now get their final state while the
        // next ones are produced, so few are left to write at the end.
        if saving?.done.isSet ?? true { try await saveStates(.completed) }
        report(partition, done: slot + 1)
    }

    private func report(_ partition: PartitionPlan, done: Int) {
        events.progress(RestoreProgressReport(partition: "\(partition.source) → \(partition.target)", partitionsDone: done,
                                              partitionsTotal: partitions.count, producedRecords: ledger.totalDelivered,
                                              alreadyPresentRecords: skipped.values.reduce(0, +)))
    }

    /// Without manifests, continuity shows only while reading: an object starting inside the one
    /// before is refused before any of its records is produced; a hole (compaction, transaction
    /// markers, or a lost object) is reported.
    private func checkListedContinuity(_ object: SourceObject, expected: Int64, target: TopicPartition,
                                       outcome: inout Outcome) throws {
        if object.name.startOffset < expected {
            throw RestoreError.failure("object \(object.key) starts at offset \(object.name.startOffset), inside the object before it (which ends at \(expected - 1)); remove the duplicate object")
        }
        if object.name.startOffset > expected {
            let warning = "\(object.key): offsets \(expected)…\(object.name.startOffset - 1) are in no object (compacted away, transaction markers, or a missing object)"
            events.warning(warning)
            outcome.warnings.append(warning)
        }
    }

    /// The target's last record must be the source record the count points at, or the target holds
    /// records this restore did not write and skipping by count would lose or duplicate some.
    static func checkSame(_ source: Layout.KafkaRecord, _ target: Kafka.KafkaRecord, target tp: TopicPartition, object: String) throws {
        let sameTime = target.timestamp.kind != .createTime || source.timestampType == .notAvailable
            || source.timestamp == target.timestamp.milliseconds
        guard source.key == target.key, source.value == target.value, sameTime else {
            throw RestoreError.failure("target \(tp): its record at offset \(target.offset) is not source record \(source.offset) (\(object)) that this restore put there; another producer wrote into it. Remove its restore state to restore it again")
        }
    }

    private enum SaveRound {
        /// Every opened partition with records confirmed since its last write, in the background.
        case progress
        /// The finished partitions whose records have all been confirmed, in the background.
        case completed
        /// Every opened partition not yet written in its final form; waits for the writes.
        case final
    }

    /// Writes opened partitions' states from the ledger (only delivery reports advance them), after
    /// the round before has been written (its error, if any, is thrown here).
    private func saveStates(_ round: SaveRound) async throws {
        if let previous = saving {
            saving = nil
            try await previous.task.value
        }
        lastSave = Date()
        var changed: [(slot: Int, state: RestoreResumeState)] = []
        for slot in resume.keys.sorted() where !finalWritten.contains(slot) {
            guard var state = resume[slot], let counted = ledger.slot(slot) else { continue }
            let delivered = (skipped[slot] ?? 0) + counted.delivered
            let complete = finished.contains(slot) && delivered == state.plannedRecords
            switch round {
            case .progress: if delivered == state.deliveredRecords { continue }
            case .completed: if !complete { continue }
            case .final: break
            }
            state.deliveredRecords = delivered
            if let last = counted.lastSourceOffset { state.nextSourceOffset = last + 1 }
            state.updatedAt = Date()
            changed.append((slot, state))
            if complete { finalWritten.insert(slot) }
        }
        for (slot, state) in changed { resume[slot] = state }
        let states = changed.map(\.state)
        if states.isEmpty { return }
        if round == .final {
            try await saveConcurrently(states)
        } else {
            let done = DoneFlag()
            saving = (Task {
                defer { done.set() }
                try await self.saveConcurrently(states)
            }, done)
        }
    }
}

/// Set once by a background task when it ends, read by the loop that started it.
private final class DoneFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

extension KafkaBlocking {
    /// Runs a non-throwing blocking call off the cooperative pool.
    static func runQuietly(_ body: @escaping @Sendable () -> Void) async {
        _ = try? await run { body() }
    }
}
