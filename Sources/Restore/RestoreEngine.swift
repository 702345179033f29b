import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import StoreLock
import StoreMetadata
import Threads

/// `ktape restore`: produces a store's records back into a cluster, each into the partition of the
/// same number, byte-exact, resumable without duplicates. The CLI opens the store; the engine receives it.
public final class RestoreEngine: Sendable {
    let store: any ObjectStore
    let layout: StoreLayout
    let options: RestoreOptions
    let events: RestoreEvents
    let observer: (any RestoreObserver)?

    /// `observer` watches the restore from inside (tests).
    public init(
        store: any ObjectStore, layout: StoreLayout, options: RestoreOptions, events: RestoreEvents = .silent,
        observer: (any RestoreObserver)? = nil
    ) {
        self.store = store
        self.layout = layout
        self.options = options
        self.events = events
        self.observer = observer
    }

    /// Reads the store and checks the targets; changes nothing anywhere. What stops the restore is in
    /// the plan's `problems`, all of them.
    public func plan() async throws -> RestorePlan {
        try await plan(admin: makeAdmin())
    }

    private func plan(admin: KafkaAdmin) async throws -> RestorePlan {
        let catalog = try await SourceCatalog.load(
            store: store, layout: layout, asOf: options.asOf, topics: options.topicRegexList.map { Set($0.topics) })
        var plan = try RestorePlanner.plan(catalog, options: options)
        do {
            try await MissingObjects.check(&plan, store: store, layout: layout, allowMissing: options.allowMissing)
        } catch let error as RunFailure where error.isInvalidInput {
            plan.problems.append(error.message)
        }
        let options = self.options
        plan = try await options.onTarget { [plan] in
            var checked = plan
            try TargetPreparation.check(&checked, admin: admin, options: options)
            return checked
        }
        let repartitioned = plan.topics.filter { $0.repartitionedInto != nil }.map(\.sourceTopic)
        if options.consumerGroups != nil && !repartitioned.isEmpty {
            // The job spec refuses the pair; this keeps a caller of the engine from losing the offsets silently.
            plan.problems.append(
                "--consumer-groups cannot be combined with --repartition (repartitioned: \(repartitioned.joined(separator: ", "))): offsets cannot be translated once records change partitions"
            )
        }
        return plan
    }

    /// Plans, then (unless `dryRun`) creates missing topics, produces every record not yet in its
    /// target, and commits translated group offsets.
    public func run() async throws -> RestoreResult {
        let started = options.clock()
        let producer = options.dryRun ? nil : try RecordProducer(options: options, ledger: DeliveryLedger(), observer: observer)
        // One admin client for the whole run: each is a connection (with TLS and SASL, a handshake).
        let admin = try makeAdmin()
        var plan = try await plan(admin: admin)
        if !options.dryRun && !plan.problems.isEmpty { throw RunFailure.problems(plan.problems) }
        // The plan read the target's metadata, which carries its id: the lease and state are keyed by
        // it, so every bootstrap list reaching the cluster finds the same ones.
        let clusterId = try await options.onTarget { admin.clusterId() }
        if clusterId == nil {
            plan.warnings.append(
                "target cluster \(options.kafka.bootstrapServers) reports no cluster id: its lease and resume state are named by its bootstrap list, so give the same hosts every time"
            )
        }
        var translator = GroupOffsetTranslator(
            plan: plan, selection: options.consumerGroups, filesSelected: options.topicRegexList != nil)
        if options.consumerGroups != nil && translator.isEmpty {
            plan.warnings.append("--consumer-groups: the store holds no saved offsets of a selected group for the restored partitions")
        }
        if !translator.isEmpty {
            do {
                plan.warnings += try await Self.refuseActiveGroups(
                    translator.groups, admin: admin,
                    timeoutMilliseconds: options.bestEffortTimeoutMilliseconds)
            } catch let error as RunFailure where options.dryRun && error.isInvalidInput {
                plan.problems.append(error.message)
            }
        }
        var summary = RestoreSummary(
            dryRun: options.dryRun, topics: [], producedRecords: 0, alreadyPresentRecords: 0,
            filteredRecords: 0, committedGroups: [:], warnings: [], seconds: 0)
        if let nothingLeft = plan.nothingLeft {
            summary.alreadyPresentRecords = try await restoredBeforeThePrune(plan, nothingLeft, admin: admin, clusterId: clusterId)
            for warning in plan.warnings where !options.dryRun { events.warning(warning) }
            summary.warnings = plan.warnings
            summary.seconds = options.clock().timeIntervalSince(started)
            return RestoreResult(plan: plan, summary: summary)
        }
        if options.dryRun {
            try await DryRun.complete(&plan, store: store, layout: layout, options: options, admin: admin, clusterId: clusterId)
            summary.topics = plan.topics.map { Self.topicSummary($0, produced: 0, present: $0.alreadyPresent ?? 0) }
            summary.alreadyPresentRecords = summary.topics.reduce(0) { $0 + $1.alreadyPresentRecords }
            summary.warnings = plan.warnings
            summary.problems = plan.problems
            summary.missingRanges = plan.missingRanges
            summary.seconds = options.clock().timeIntervalSince(started)
            return RestoreResult(plan: plan, summary: summary)
        }
        for warning in plan.warnings { events.warning(warning) }
        let states = try ResumeStateStore(options: options, clusterId: clusterId, store: store, layout: layout)
        let targets = plan.topics.map(\.targetTopic)
        let lock = RestoreLease.keeper(states: states, targets: targets, options: options)
        try await RestoreLease.acquire(lock, states: states, targets: targets, options: options)
        do {
            let done = try await restoreLocked(
                plan: plan, states: states, producer: producer, admin: admin,
                translator: &translator, summary: summary, started: started)
            if await !lock.release() { events.warning("this restore \(lock.leftBehind)") }
            return RestoreResult(plan: done.plan, summary: done.summary)
        } catch Abandoned.stopped(let reason) {
            await lock.release()
            throw RunFailure.restoreInterrupted(reason)
        } catch {
            await lock.release()
            throw await prunedMeanwhile(error, plan: plan, states: states) ?? error
        }
    }

    /// A store whose selected topics prune emptied is done for a restore with these settings that had
    /// restored every pruned partition through its last pruned offset (a migration's scheduled restore,
    /// caught up before a prune): the records it had delivered, which the target holds. Otherwise, as
    /// for a fresh target, there is nothing to restore (`nothingLeft`, exit 2).
    private func restoredBeforeThePrune(
        _ plan: RestorePlan, _ nothingLeft: String, admin: KafkaAdmin, clusterId: String?
    ) async throws -> Int64 {
        // A --repartition restore's entries are its target partitions, which no pruned source
        // partition's offsets can be compared with (HeldRecords).
        guard !options.repartition else { throw RunFailure.invalidInput(nothingLeft) }
        let states = try ResumeStateStore(options: options, clusterId: clusterId, store: store, layout: layout)
        let away = try await states.prunedAway(plan.prunedAway, options: options) { try admin.endOffsets($0) }
        if !away.lost.isEmpty { throw RunFailure.problems(away.lost) }
        var present: Int64 = 0
        for partition in plan.prunedAway {
            guard let state = away.restored[partition.target] else {
                // A partition whose files the topic-regex-list does not take was never this restore's.
                if let list = options.topicRegexList, !Self.mayTakeFiles(of: partition, list) { continue }
                throw RunFailure.invalidInput(nothingLeft)
            }
            guard !HeldRecords.isCutOff(partition, state: state) else { throw RunFailure.invalidInput(nothingLeft) }
            present += state.deliveredRecords
        }
        guard present > 0 else { throw RunFailure.invalidInput(nothingLeft) }
        return present
    }

    /// Whether `list` may select files of a partition prune emptied, whose names are gone with them:
    /// tried on the names its files would have at its first and last pruned offsets, in every kind.
    private static func mayTakeFiles(of partition: PrunedAway, _ list: TopicRegexList) -> Bool {
        ObjectFileKind.all.contains { kind in
            [0, partition.through].contains { offset in
                let name = try? ObjectKey(
                    topic: partition.sourceTopic, partition: partition.target.partition, startOffset: offset, kind: kind)
                return name.map { list.selects(fileName: $0.fileName, topic: partition.sourceTopic) } ?? true
            }
        }
    }

    /// An object gone while this restore read it because a prune removed it meanwhile: said as such,
    /// exit 2 as its rerun's verdict is, where "deleted while the restore ran?" asked for a retry;
    /// exit 1 when the restore's state confirms every record of it (read again only to find its
    /// place), which a rerun, planning from what the prune left, steps over.
    private func prunedMeanwhile(_ error: Error, plan: RestorePlan, states: ResumeStateStore) async -> RunFailure? {
        guard let failure = error as? RunFailure, let missing = failure.cause as? StoreError, missing.isNotFound,
            let key = missing.key, let name = try? layout.objectKey(parsing: key),
            let pruned = try? await PrunedStateKeeper.read(store: store, layout: layout),
            let first = pruned.firstOffsets[TopicPartition(name.topic, name.partition)], first > name.startOffset
        else { return nil }
        if let partition = plan.partitions.first(where: { $0.source == TopicPartition(name.topic, name.partition) }),
            let last = partition.objects.first(where: { $0.key == key })?.manifest?.lastOffset,
            let state = try? await states.load(topics: [partition.targetTopic]).partitions[partition.target],
            state.sourceTopic == name.topic, state.nextSourceOffset > last
        {
            return .failure(
                "object \(key) is gone: ktape prune removed it while this restore read it again to find its place in \(partition.target), whose state confirms its records (through source offset \(state.nextSourceOffset - 1)); run again: the rerun plans from what the prune left"
            )
        }
        return .invalidInput(
            "object \(key) is gone: ktape prune removed it while this restore read it (\(name.topic)/\(name.partition) now starts at offset \(first)), before its records were restored, so this restore cannot go on in order from this store; the same restore with --dry-run names each partition this leaves and the way on"
        )
    }

    /// Everything that writes to the target, while this restore holds its lease on the target topics.
    private func restoreLocked(
        plan: RestorePlan, states: ResumeStateStore, producer: RecordProducer?, admin: KafkaAdmin,
        translator: inout GroupOffsetTranslator, summary: RestoreSummary,
        started: Date
    ) async throws -> (plan: RestorePlan, summary: RestoreSummary) {
        var summary = summary
        let options = self.options
        let missing = plan.targetsToCreate
        if !missing.isEmpty {
            let destinations = RestoreDestinations(plan: plan, options: options)
            let scan = try await ResumeScan.loadStates(destinations, states: states)
            let problems = scan.problems.map(\.message) + scan.deletedTargets(destinations, missing: missing, states: states)
            if !problems.isEmpty { throw RunFailure.problems(problems) }
        }
        let (prepared, created) = try await options.onTarget { [plan] in
            var prepared = plan
            let warnings =
                try TargetPreparation.create(&prepared, admin: admin, options: options)
                + TargetPreparation.configWarnings(&prepared, admin: admin, options: options)
            return (prepared, warnings)
        }
        var plan = prepared
        for topic in plan.topics { if let configs = topic.createdConfigs { events.note(Self.creationNote(topic, configs)) } }
        for warning in created { events.warning(warning) }
        plan.warnings += created

        guard let producer else { throw RunFailure.failure("internal: no producer for a restore that is not a dry run") }
        let loop = ProduceLoop(
            plan: plan, options: options, store: store, states: states, admin: admin,
            producer: producer, events: events)
        let outcome = try await loop.run(translator: &translator)

        let unplanned = translator.unplannedTargets
        var ends: [TopicPartition: Int64] = [:]
        if !unplanned.isEmpty {
            do {
                ends = try await options.onTarget { [stall = options.stallTimeout] in try admin.endOffsets(unplanned, retryingFor: stall) }
            } catch let error as RunFailure where error.isInterrupted {
                throw error
            } catch {
                throw RunFailure.failure(
                    "consumer groups \(translator.groups.joined(separator: ", ")): cannot read the end offsets of "
                        + "partitions with nothing to restore (\(error)); the records are restored, only the offsets are not")
            }
        }
        let translations = translator.translations(
            plan: plan, bases: outcome.bases, floors: outcome.floors, ends: ends, restoredBefore: outcome.prunedAwayStates)
        for (group, offsets) in translations.sorted(by: { $0.key < $1.key }) {
            let kafkaOffsets = Dictionary(
                uniqueKeysWithValues: offsets.map {
                    (TopicPartition(topic: $0.key.topic, partition: $0.key.partition), $0.value)
                })
            do {
                try await options.onTarget { try admin.commitOffsets(group: group, offsets: kafkaOffsets) }
            } catch {
                throw RunFailure.failure("consumer group \(group): \(error); the records are restored, only the offsets are not")
            }
            summary.committedGroups[group] = offsets.count
        }

        summary.topics = plan.topics.map { topic in
            Self.topicSummary(
                topic, produced: outcome.produced[topic.sourceTopic] ?? 0,
                present: outcome.alreadyPresent[topic.sourceTopic] ?? 0)
        }
        summary.producedRecords = outcome.produced.values.reduce(0, +)
        summary.alreadyPresentRecords = outcome.alreadyPresent.values.reduce(0, +)
        summary.filteredRecords = outcome.filtered + plan.filteredByTime
        summary.warnings = plan.warnings + outcome.warnings
        summary.missingRanges = plan.missingRanges
        summary.seconds = options.clock().timeIntervalSince(started)
        return (plan, summary)
    }

    private func makeAdmin() throws -> KafkaAdmin {
        do { return try KafkaAdmin(config: options.kafka) } catch {
            throw RunFailure.invalidInput("target cluster \(options.kafka.bootstrapServers): \(error)")
        }
    }

    /// Offsets are never committed for a group active in the target. ListGroups is best-effort (the
    /// broker also refuses a commit from outside an active group); returns warnings.
    static func refuseActiveGroups(_ groups: [String], admin: KafkaAdmin, timeoutMilliseconds: Int32) async throws -> [String] {
        let listings: [KafkaGroupListing]
        do {
            listings = try await KafkaBlocking.run { try admin.listGroups(timeoutMilliseconds: timeoutMilliseconds) }
        } catch {
            // Best effort, as the comment above says; a stop request is seen by the next step.
            return ["cannot list the target's consumer groups (\(error)); the broker itself refuses commits for an active group"]
        }
        for listing in listings where groups.contains(listing.name) {
            if listing.memberCount > 0 || !["Empty", "Dead", ""].contains(listing.state) {
                throw RunFailure.invalidInput(
                    "consumer group \(listing.name) is active in the target (\(listing.state), \(listing.memberCount) members); stop its consumers before restoring its offsets"
                )
            }
        }
        return []
    }

    static func creationNote(_ topic: TopicPlan, _ configs: CreatedTopicConfigs) -> String {
        var text = "created target topic \(topic.targetTopic) with \(topic.sourcePartitions) partitions"
        if !configs.applied.isEmpty {
            text += ", configs " + configs.applied.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
        if !configs.atTargetDefault.isEmpty { text += "; left at the target's default: " + configs.atTargetDefault.joined(separator: ", ") }
        if !configs.refused.isEmpty { text += "; refused by the target: " + configs.refused.keys.sorted().joined(separator: ", ") }
        return text
    }

    static func topicSummary(_ topic: TopicPlan, produced: Int64, present: Int64) -> RestoreSummary.Topic {
        let action: String
        switch topic.action {
        case .unchecked: action = "unchecked"
        case .exists: action = "exists"
        case .create: action = "create"
        }
        return RestoreSummary.Topic(
            source: topic.sourceTopic, target: topic.targetTopic, partitions: topic.partitions.count,
            objects: topic.objectCount, plannedRecords: topic.records, bytes: topic.bytes,
            targetAction: action, producedRecords: produced, alreadyPresentRecords: present,
            repartitionedInto: topic.repartitionedInto, createdConfigs: topic.createdConfigs)
    }
}
