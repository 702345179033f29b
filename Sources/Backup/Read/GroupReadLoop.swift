import Failures
import Foundation
import Kafka
import Layout
import StoreMetadata

/// Group mode (`--group-id`): processes of one job share its partitions through the Kafka group
/// protocol. Each partition this member is assigned is planned when it arrives (checkpoint: the
/// manifests, or the group's committed offset when a member that finished earlier moved it on),
/// read to the end offset seen then, and kept only while assigned: a revoked partition is dropped
/// from this member's manifest (objects already written are rewritten identically by its next
/// owner, which starts from the same checkpoint). A member stops once everything it holds is done
/// and the group has been quiet for a moment.
final class GroupReadLoop {
    private let request: BackupRequest
    private let group: String
    private let partitions: [TopicPartition]
    private let admin: KafkaAdmin
    private let checkpoint: Checkpoint
    private let settings: ObjectSettings
    let reader: KafkaPartitionReader
    let uploads: UploadQueue
    private var formatter: RecordFormatter
    private var planned: [TopicPartition: PartitionPlan] = [:]
    private var planFailure: Error?
    private var revokeFailure: Error?
    private var committed: (at: Date, offsets: [TopicPartition: Int64?])?
    private var indexed: (at: Date, next: [TopicPartition: Int64])?
    /// False once the cluster said it has no DescribeGroups (librdkafka's mock).
    private var canDescribeGroup = true
    /// Partitions this member holds now.
    private(set) var writers: [TopicPartition: PartitionWriter] = [:] {
        didSet { lookup.forget() }
    }
    private var lookup = WriterLookup()
    /// The job's partitions that had never held a record (end offset 0) when this member joined:
    /// a member may leave without them being held (GroupCoverage), so every member notes them.
    private(set) var emptyAtJoin: [TopicPartition] = []

    /// How long the group must be quiet (no rebalance) before a member with all work done leaves.
    static let settleTime: TimeInterval = 1
    /// How often a member that holds nothing asks whether the rest of the job is accounted for.
    static let coverageInterval: TimeInterval = 2

    init(
        request: BackupRequest, group: String, partitions: [TopicPartition], checkpoint: Checkpoint, settings: ObjectSettings,
        admin: KafkaAdmin
    ) throws {
        self.request = request
        self.group = group
        self.partitions = partitions
        self.admin = admin
        self.checkpoint = checkpoint
        self.settings = settings
        reader = try kafkaSync("join consumer group \(group)") {
            try KafkaPartitionReader(config: Self.groupConfig(request.kafka), groupID: group)
        }
        let s = request.settings
        formatter = RecordFormatter(format: s.format.value, storeKeys: s.storeKeys.value, storeHeaders: s.storeHeaders.value)
        uploads = UploadQueue(limit: s.concurrency.value)
    }

    /// Cooperative rebalancing moves only the partitions that change owner, so members joining or
    /// leaving do not make everyone drop their work. librdkafka before 2.3 aborts the process in its
    /// cooperative-sticky assignor when a member is destroyed before its first assignment
    /// (librdkafka#4312, seen here with Debian's 2.0.2), so there it falls back to eager round-robin:
    /// every rebalance then restarts the member's partitions from their checkpoints, which is slower
    /// but as correct. A user's own strategy (`-X`) still wins.
    static func groupConfig(_ user: KafkaConfig) throws -> KafkaConfig {
        var config = KafkaConfig(bootstrapServers: user.bootstrapServers)
        config.logHandler = user.logHandler
        let cooperative = KafkaLibrary.isAtLeast(major: 2, minor: 3)
        try config.set("partition.assignment.strategy", cooperative ? "cooperative-sticky" : "roundrobin")
        for property in user.properties { try config.set(property.key, property.value) }
        return config
    }

    func run(topics: [String]) throws {
        do {
            try readAll(topics: topics)
            try uploads.drain()
        } catch {
            writers.values.forEach { $0.abort() }
            uploads.abandon()
            throw error
        }
    }

    private func readAll(topics: [String]) throws {
        let coverage = GroupCoverage(
            ends: try kafkaSync("read the end offsets") { try admin.endOffsets(partitions, retryingFor: min(request.stallTimeout, 30)) })
        emptyAtJoin = coverage.ends.filter { $0.value == 0 }.keys.sorted()
        try reader.subscribe(
            topics: topics, startOffset: { [unowned self] partition in self.startOffset(partition) },
            beforeRevoke: { [weak self] partitions in self?.giveUp(partitions) })
        // Any assignment, even an empty one: the group has formed and answered this member.
        var sawAssignment = false
        var heldAny = false
        let joining = request.clock()
        var lastRebalance = joining
        var lastCoverageCheck = Date.distantPast
        var unaccounted: [TopicPartition] = []
        var waitingSince: Date?
        var watchdog = ReadWatchdog(request: request)
        while true {
            var handled = 0
            try reader.poll(maxEvents: 5000, timeoutMilliseconds: 100) { event in
                if case .error = event {} else { handled += 1 }
                switch event {
                case .assigned(let partitions):
                    sawAssignment = true
                    heldAny = heldAny || !partitions.isEmpty
                    lastRebalance = request.clock()
                    for partition in partitions {
                        let key = TopicPartition(partition.topic, partition.partition)
                        guard let plan = planned.removeValue(forKey: key) else { continue }
                        writers[key] = PartitionWriter(plan: plan, settings: settings)
                    }
                case .revoked:
                    // The writers went in `giveUp`, before the partitions did.
                    lastRebalance = request.clock()
                case .record(let record):
                    try lookup.writer(record.topic, record.partition, in: writers)?.consume(record, formatter: &formatter, uploads: uploads)
                case .endOfPartition(let partition, let nextOffset):
                    try writers[TopicPartition(partition.topic, partition.partition)]?.reachedEnd(nextOffset: nextOffset, uploads: uploads)
                case .error(let error):
                    if error.isFatal { throw RunFailure.failure("read in group \(group): \(error)") }
                    if error.isOffsetReset {
                        throw RunFailure.failure(
                            "read in group \(group): \(error): retention deleted offsets while they were read; run again to record the gap")
                    }
                    watchdog.lastError = error
                }
            }
            if let planFailure { throw RunFailure.wrap(planFailure, "plan partitions in group \(group)") }
            if let revokeFailure { throw revokeFailure }
            let now = request.clock()
            if sawAssignment, writers.values.allSatisfy(\.isDone), now.timeIntervalSince(lastRebalance) >= Self.settleTime {
                if !writers.isEmpty { break }
                // Holding nothing (more members than partitions, or partitions taken away) is not
                // a failure once the rest of the job is accounted for (GroupCoverage).
                if now.timeIntervalSince(lastCoverageCheck) >= Self.coverageInterval {
                    lastCoverageCheck = now
                    let left = try self.unaccounted(coverage)
                    if left.isEmpty {
                        if !heldAny {
                            request.warn(
                                "consumer group \(group) gave this member no partitions (more members than partitions); nothing to do")
                        }
                        break
                    }
                    if waitingSince == nil || left.count < unaccounted.count { waitingSince = now }
                    unaccounted = left
                }
                if let since = waitingSince, now.timeIntervalSince(max(since, lastRebalance)) > request.stallTimeout {
                    throw RunFailure.failure(
                        "consumer group \(group) left this member no partitions, and for \(Int(request.stallTimeout)) s no member has held or finished "
                            + RunFailure.partitionList(unaccounted.map(\.description))
                            + "; did the group form over every topic (can every member read each topic's metadata)?")
                }
            } else {
                waitingSince = nil
            }
            // A group that has not formed is not "nothing to do": a run whose members all gave up
            // here would back up nothing and succeed.
            if !sawAssignment, now.timeIntervalSince(joining) > request.stallTimeout {
                throw RunFailure.failure(
                    "consumer group \(group) gave this member no assignment within \(Int(request.stallTimeout)) s; the group did not form (is its coordinator reachable?)"
                )
            }
            try watchdog.check(
                handled: handled, nothingToWaitFor: writers.values.allSatisfy(\.isDone),
                waitingFor: {
                    "reading " + RunFailure.partitionList(writers.values.filter { !$0.isDone }.map(\.partition.description).sorted())
                        + " in group \(group)"
                }, progress: { TopicProgress.summarise(Array(writers.values)) })
        }
    }

    /// The job's partitions that no member holds and neither the store nor the group's committed
    /// offsets show backed up to where they ended when this member joined.
    private func unaccounted(_ coverage: GroupCoverage) throws -> [TopicPartition] {
        var held = Set<TopicPartition>()
        if canDescribeGroup {
            do {
                held = try admin.heldPartitions(group: group, timeoutMilliseconds: 5000) ?? []
            } catch let error as KafkaError {
                if case .unsupported = error.kind { canDescribeGroup = false }
            }
        }
        let open = coverage.open(checkpoint: checkpoint, held: held)
        if open.isEmpty { return [] }
        let committed = try kafkaSync("read the committed offsets of group \(group)") {
            try admin.committedOffsets(group: group, partitions: open)
        }
        return coverage.unaccounted(open, committed: committed)
    }

    /// Called by the reader while it is assigned a partition (on this thread): plans it and says
    /// where to start. A failure is kept and ends the run after the poll.
    private func startOffset(_ partition: TopicPartition) -> KafkaOffset {
        let key = TopicPartition(partition.topic, partition.partition)
        do {
            // Bounded well below the group's poll interval: this runs inside the rebalance callback.
            let marks = try admin.watermarks(partition, retryingFor: min(request.stallTimeout, 30))
            let stored = checkpoint.nextOffset(topic: key.topic, partition: key.partition, logStart: marks.low)
            var start = stored
            if let folded = try indexedNextOffset(key) { start = max(start ?? folded, folded) }
            if let moved = try committedOffset(partition) { start = max(start ?? moved, moved) }
            // The stored checksum is of the record before the store's checkpoint, not a member's.
            let plan = PartitionPlan.make(
                key, checkpoint: start, low: marks.low, high: marks.high,
                lastRecord: start == stored ? checkpoint.lastRecordChecksums[key] : nil,
                lastRecordOffset: start == stored ? checkpoint.lastRecordOffsets[key] : nil)
            if let failure = plan.endBelowCheckpointFailure() {
                planFailure = failure
                return .end
            }
            for gap in plan.gaps {
                request.warn(
                    RetentionWarning.line(topic: key.topic, partition: key.partition, gap: gap), topic: key.topic, partition: key.partition)
            }
            planned[key] = plan
            return .exact(plan.startFrom)
        } catch {
            planFailure = error
            return .end
        }
    }

    /// Called by the reader before partitions are taken away (on this thread): their open objects are
    /// abandoned and their closed ones finish uploading, so that the next owner, which rewrites the
    /// same objects from the same checkpoint, never writes one while this member still does. A
    /// failure is kept and ends the run after the poll.
    private func giveUp(_ partitions: [TopicPartition]) {
        let keys = Set(partitions.map { TopicPartition($0.topic, $0.partition) })
        for key in keys { writers.removeValue(forKey: key)?.abort() }
        do {
            try uploads.drain(partitions: keys)
        } catch {
            revokeFailure = revokeFailure ?? error
        }
    }

    /// Where the store index says `partition`'s backed-up records end, read again once per rebalance.
    /// A member that wrote and folded its manifest after this run read its checkpoint, and whose
    /// offset commit then failed (a rebalance in progress, as members leaving cause), moved the store
    /// on where neither the checkpoint nor the group's offsets say: starting from those, this member
    /// backed the same offsets up again, and the two manifests' overlap stopped verify and restore.
    private func indexedNextOffset(_ partition: TopicPartition) throws -> Int64? {
        let now = request.clock()
        if indexed == nil || now.timeIntervalSince(indexed?.at ?? .distantPast) > 2 {
            let store = request.store
            let layout = request.layout
            let index = try ThreadBridge.wait { try await IndexKeeper.read(store: store, layout: layout)?.index }
            indexed = (now, index?.nextOffsets ?? [:])
        }
        return indexed?.next[partition]
    }

    /// The group's committed offsets, asked for once per rebalance (a short-lived cache).
    private func committedOffset(_ partition: TopicPartition) throws -> Int64? {
        let now = request.clock()
        if committed == nil || now.timeIntervalSince(committed?.at ?? .distantPast) > 2 || committed?.offsets[partition] == nil {
            let all = try admin.committedOffsets(group: group, partitions: [partition])
            committed = (now, (committed?.offsets ?? [:]).merging(all) { _, new in new })
        }
        return committed?.offsets[partition] ?? nil
    }
}

extension TopicProgress {
    /// Per-topic totals of some partitions.
    static func summarise(_ writers: [PartitionWriter]) -> [TopicProgress] {
        var byTopic: [String: TopicProgress] = [:]
        for writer in writers {
            var entry =
                byTopic[writer.partition.topic]
                ?? TopicProgress(topic: writer.partition.topic, records: 0, bytes: 0, remainingOffsets: 0, doneOffsets: 0)
            entry.records += writer.records
            entry.bytes += writer.encodedBytes
            entry.doneOffsets += writer.doneOffsets
            entry.remainingOffsets += max(0, writer.plan.end - writer.next)
            byTopic[writer.partition.topic] = entry
        }
        return byTopic.values.sorted { $0.topic < $1.topic }
    }
}
