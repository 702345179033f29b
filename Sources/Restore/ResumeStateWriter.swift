import Failures
import Foundation
import Layout
import ObjectStore

/// Writes a restore's resume state while it produces: one document per target topic, holding an
/// entry per destination (see `RestoreDestinations`) and, kept as they were, the entries of that
/// topic's partitions this restore does not touch. Before anything is produced, every new
/// destination gets a first entry (its base: the target's end offset noted now), so a run killed at
/// any later moment can count its records; afterwards, only delivery reports (the ledger) advance an
/// entry, and the documents whose entries changed are written in rounds, in the background, one
/// round at a time, so production never waits on a disk or a store and a document's writes keep
/// their order.
// @unchecked Sendable: driven by the produce loop's task; a save round gets copies, and one round runs at a time.
final class ResumeStateWriter: @unchecked Sendable {
    /// Where a destination's restore starts: its entry, and what its target already holds of it.
    struct Start {
        var state: RestoreResumeState
        var tail: TargetTail
    }

    enum Round {
        /// In the background, while production goes on.
        case progress
        /// At the end; waits for the writes.
        case final
    }

    /// Store and broker requests in flight at once while preparing and saving states.
    static let storeConcurrency = 16

    private let destinations: RestoreDestinations
    private let states: ResumeStateStore
    private let ledger: DeliveryLedger
    private let events: RestoreEvents
    private let clock: @Sendable () -> Date
    /// Each destination's entry as it stands, and as last written (or read); a topic's document is
    /// written when one of its opened destinations has changed since.
    private var current: [RestoreResumeState] = []
    private var written: [Int: RestoreResumeState] = [:]
    /// Destinations whose production has begun (their first entry is written), with the records their
    /// targets already held of them then.
    private var present: [Int: Int64] = [:]
    /// Per opened destination, the source offset of the last record its target already held.
    private var presentThrough: [Int: Int64] = [:]
    /// Target topics in plan order, with their destinations, and the saved entries of their partitions
    /// this restore does not touch (kept in every write of the topic's document).
    private let topicOrder: [String]
    private let destinationsOf: [String: [Int]]
    private var kept: [String: [RestoreResumeState]] = [:]
    private var version1Keys: [String: [String]] = [:]
    /// Topics whose state was read from the bootstrap-named folder: written under the cluster's id at once.
    private var legacyTopics = Set<String>()
    private var lastSave: Date
    /// The first write of each topic's document that needs one; a destination's records are produced
    /// only once its topic's is done.
    private var firstSaves: [String: Task<Void, Error>] = [:]
    /// The round of writes in flight, if any.
    private var saving: Task<Void, Error>?

    init(
        destinations: RestoreDestinations, states: ResumeStateStore, ledger: DeliveryLedger, events: RestoreEvents,
        clock: @escaping @Sendable () -> Date
    ) {
        self.destinations = destinations
        self.states = states
        self.ledger = ledger
        self.events = events
        self.clock = clock
        lastSave = clock()
        var order: [String] = []
        var byTopic: [String: [Int]] = [:]
        for destination in destinations.indices {
            let topic = destinations[destination].target.topic
            if byTopic[topic] == nil { order.append(topic) }
            byTopic[topic, default: []].append(destination)
        }
        topicOrder = order
        destinationsOf = byTopic
    }

    /// Where each destination starts (from the scan of its state and target), with a first entry for
    /// every new one, whose writing begins now.
    func start(from scan: ResumeScan) -> [Start] {
        let planned = Set(destinations.all.map(\.target))
        for (target, state) in scan.saved.partitions where !planned.contains(target) {
            kept[target.topic, default: []].append(state)
        }
        version1Keys = scan.saved.version1Keys
        legacyTopics = Set(scan.saved.legacyKeys.keys)
        var starts: [Start] = []
        var fresh = Set<Int>()
        for destination in destinations.indices {
            let planned = destinations[destination]
            if var existing = scan.loaded[destination] {
                // An entry of an earlier ktape learns it with its next write.
                existing.sourcePartition = planned.sourcePartition
                starts.append(Start(state: existing, tail: scan.tails[destination] ?? TargetTail(count: 0, last: nil)))
            } else {
                let state = RestoreResumeState(
                    partition: planned.target.partition, sourceTopic: planned.sourceTopic,
                    nextSourceOffset: planned.firstSourceOffset, configHash: planned.configHash,
                    baseTargetOffset: scan.ends[destination] ?? 0, deliveredRecords: 0, plannedRecords: planned.plannedRecords,
                    updatedAt: clock(), sourcePartition: planned.sourcePartition)
                fresh.insert(destination)
                starts.append(Start(state: state, tail: TargetTail(count: 0, last: nil)))
            }
        }
        current = starts.map(\.state)
        written = scan.loaded
        startFirstSaves(fresh: fresh)
        return starts
    }

    /// The first write of each topic's document that needs one (a destination without an entry, or
    /// version 1 or bootstrap-named documents to replace), in plan order, a few at a time, so later ones are written
    /// while the first topics' records are produced.
    private func startFirstSaves(fresh: Set<Int>) {
        var started: [Task<Void, Error>] = []
        for topic in topicOrder {
            let ofTopic = destinationsOf[topic] ?? []
            let stale = version1Keys[topic] ?? []
            guard ofTopic.contains(where: fresh.contains) || !stale.isEmpty || legacyTopics.contains(topic) else { continue }
            let document = documentToWrite(topic)
            let before = started.count >= Self.storeConcurrency ? started[started.count - Self.storeConcurrency] : nil
            let states = self.states
            let events = self.events
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

    /// Production of `destination` begins, its target holding `present` of its records: returns once
    /// its first entry (if it needed one) is written.
    func open(_ destination: Int, present count: Int64) async throws {
        // The entry keeps its count until its next offset can move with it (`save`).
        try await firstSaves[destinations[destination].target.topic]?.value
        present[destination] = count
    }

    /// Records the targets held of this restore when their destinations were opened.
    var alreadyPresent: Int64 { present.values.reduce(0, +) }

    /// The target held the records up to source offset `offset` when its destination was opened:
    /// the state's next offset moves past them even before a delivery report does.
    func notePresent(_ destination: Int, through offset: Int64) {
        presentThrough[destination] = offset
    }

    /// Records of a damaged object went to `destination` (`DamageWatch`): kept in its entry from now on.
    func markDamaged(_ destination: Int, _ damaged: RestoreProgress.DamagedObject) {
        current[destination].damaged = damaged
    }

    /// The destination will have had `records` restorable records in all.
    func setPlanned(_ destination: Int, records: Int64) {
        current[destination].plannedRecords = records
    }

    /// True when the last round began at least `interval` ago.
    func isDue(every interval: TimeInterval) -> Bool { clock().timeIntervalSince(lastSave) >= interval }

    /// Writes the documents of topics with an opened destination whose entry (from the ledger: only
    /// delivery reports advance it) changed since it was last written, after the round before has
    /// been written (its error, if any, is thrown here).
    func save(_ round: Round) async throws {
        if let previous = saving {
            saving = nil
            try await previous.value
        }
        lastSave = clock()
        var touched = Set<String>()
        for (destination, count) in present {
            guard let tally = ledger.tally(of: destination) else { continue }
            var state = current[destination]
            // The count and the offset move together: while the records the target already held are
            // still being passed over, neither is known yet, and the state stays as it was read.
            if let last = tally.lastSourceOffset {
                state.deliveredRecords = count + tally.delivered
                state.nextSourceOffset = last + 1
            } else if let held = presentThrough[destination] {
                state.deliveredRecords = count
                state.nextSourceOffset = max(state.nextSourceOffset, held + 1)
            }
            if let before = written[destination], state.sameProgress(as: before) { continue }
            state.updatedAt = clock()
            current[destination] = state
            touched.insert(destinations[destination].target.topic)
        }
        let documents = topicOrder.filter(touched.contains).map { (topic: $0, states: documentToWrite($0)) }
        if documents.isEmpty { return }
        let states = self.states
        let write = { @Sendable in
            _ = try await mapConcurrently(documents, limit: Self.storeConcurrency) { try await states.save(topic: $0.topic, $0.states) }
        }
        if round == .final { try await write() } else { saving = Task { try await write() } }
    }

    /// Waits for the writes in flight (their errors do not matter to a run already failing).
    func settle() async {
        for task in firstSaves.values { _ = try? await task.value }
        if let previous = saving {
            saving = nil
            _ = try? await previous.value
        }
    }

    /// A topic's document as it stands (its destinations' entries and those it keeps), noted as
    /// written: the caller writes it.
    private func documentToWrite(_ topic: String) -> [RestoreResumeState] {
        let ofTopic = destinationsOf[topic] ?? []
        for destination in ofTopic { written[destination] = current[destination] }
        return ofTopic.map { current[$0] } + (kept[topic] ?? [])
    }
}
