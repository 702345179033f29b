import Checksums
import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import StoreLock
import StoreMetadata
import Threads

/// `ktape backup`: snapshots the selected partitions from their checkpoints up to the end offsets
/// seen at the start, writes the objects, then — only once every object is durable — the run's
/// manifest, which is what moves the checkpoint. A run killed at any moment leaves no manifest, so
/// the next run starts from the same checkpoint and writes the same keys and bytes again.
public enum BackupEngine {
    /// Runs one backup. Throws `RunFailure` (its `kind` says which exit code it stands for).
    public static func run(_ request: BackupRequest) async throws -> BackupSummary {
        let started = request.clock()
        let settings = request.settings
        let configHash = Digest.hex(Digest.sha256(Array(settings.configHashText(topicsDir: request.layout.topicsDir).utf8)))
        let timeout = Int32(max(1, request.connectTimeout * 1000))

        let admin = try kafka("connect to Kafka") { try KafkaAdmin(config: request.kafka) }
        // One watch for the whole run: every wait on Kafka that makes no progress for the stall
        // timeout ends the run, whichever phase it is in.
        let watch = StallWatch(timeout: request.stallTimeout, clock: request.clock)
        let waits = KafkaWaits(request: request, watch: watch) { admin.lastReportedError }
        try await waits.run("connecting") { try admin.checkConnection(timeoutMilliseconds: timeout) }
        let metadata = try await waits.run("reading the cluster's metadata") { try admin.metadata(timeoutMilliseconds: timeout) }
        let topics = try TopicSelection.select(settings: settings, metadata: metadata)
        // Known once the metadata is: no wait.
        let clusterId = admin.clusterId(timeoutMilliseconds: timeout)
        let partitions = TopicSelection.share(of: topics, shard: settings.shard?.value)
        if partitions.isEmpty {
            request.warn(
                topics.isEmpty
                    ? "no topic of the cluster matches topics-regex \(settings.topicsRegex?.value.pattern ?? "")"
                    : "shard \(settings.shardLabel) has no partitions (the job has fewer partitions than shards)")
        }

        let runId = request.runId ?? RunID(startedAt: started, shard: settings.shardLabel, randomSuffix: UInt32.random(in: .min ... .max))
        let lock = BackupLease.keeper(
            request, runId: runId, configHash: configHash, topics: topics.map(\.name), partitions: partitions)
        try await BackupLease.acquire(lock, request)
        do {
            let summary = try await locked(
                request, runId: runId, started: started, configHash: configHash, clusterId: clusterId,
                admin: admin, metadata: metadata, topics: topics, partitions: partitions, lock: lock, waits: waits)
            if await !lock.release() { request.warn("run \(runId) \(lock.leftBehind)") }
            return summary
        } catch {
            await lock.release()
            throw error
        }
    }

    private static func locked(
        _ request: BackupRequest, runId: RunID, started: Date, configHash: String, clusterId: String?, admin: KafkaAdmin,
        metadata: KafkaClusterMetadata, topics: [KafkaTopicMetadata], partitions: [TopicPartition],
        lock: LeaseKeeper, waits: KafkaWaits
    ) async throws -> BackupSummary {
        let aborted = try await storeCall("abort unfinished uploads") {
            try await KilledRunLeftovers.abortUploads(request, partitions: partitions)
        }
        if aborted > 0 {
            request.warn("aborted \(aborted) unfinished multipart uploads that a killed run left under \(request.layout.topicsFolder)")
        }
        let removed = try await storeCall("remove temp files") {
            try await KilledRunLeftovers.removeTempFiles(request)
        }
        if removed > 0 {
            request.warn("removed \(removed) temp files that killed runs left in the store")
        }
        var checkpoint: Checkpoint
        do {
            checkpoint = try await IndexKeeper.checkpoint(
                store: request.store, layout: request.layout, expectedConfigHash: configHash, shard: request.settings.shardLabel,
                options: request.basePutOptions)
        } catch var error as CheckpointError {
            // The run's manifest says which of the settings it records changed (one read, on the way out).
            let recorded = try? await ManifestHistory.load(runs: [error.runId], store: request.store, layout: request.layout).first?.store
            error.changes = recorded?.changes(to: request.manifestStoreSettings) ?? []
            throw RunFailure.invalidInput("\(error)")
        } catch let error as ManifestError where error.manifest == request.layout.indexKey && !error.isNewerVersion {
            throw RunFailure.invalidInput("\(error); remove it and run again: the backup folds it anew from the run manifests")
        } catch let error as ManifestError {
            throw RunFailure.invalidInput("\(error)")
        } catch let error as IndexAheadOfManifests {
            throw RunFailure.invalidInput("\(error)")
        } catch let error as ForkedHistory {
            throw RunFailure.invalidInput("\(error)")
        } catch {
            throw RunFailure.wrap(error, "read the store index \(request.layout.indexKey)")
        }
        if let clusterId {
            for topic in topics.map(\.name) {
                guard let recorded = checkpoint.clusterIds[topic], recorded != clusterId else { continue }
                // Of a topic the store holds no offsets of, only where the other cluster's log stood
                // (found empty, partition counts), which says nothing of this one's.
                if !checkpoint.coversOffsets(of: topic) {
                    checkpoint.forget(topic)
                    continue
                }
                throw RunFailure.invalidInput(
                    "topic \(topic): the store's runs read it from Kafka cluster \(recorded), this run reads cluster \(clusterId): another cluster's offsets (after a failover, or a cluster rebuilt) cannot continue this history; back it up into another store prefix"
                )
            }
        }
        let missingTopics = TopicSelection.missing(
            settings: request.settings, metadata: metadata, known: checkpoint.topics, clusterIds: checkpoint.clusterIds,
            clusterId: clusterId)
        if let line = TopicSelection.missingLine(missingTopics) { request.warn(line) }
        let partitionCounts = Dictionary(topics.map { ($0.name, $0.partitionCount) }, uniquingKeysWith: { a, _ in a })
        if let failure = Self.fewerPartitions(partitionCounts, checkpoint: checkpoint) { throw failure }

        // Topic configs and group offsets are asked for while the partitions are read.
        let factsTimeout = Int32(max(1, request.clusterFactsTimeout * 1000))
        async let facts = waits.run("describing the topics") { () -> ([ManifestTopic], ClusterFacts.GroupOffsets) in
            (
                ClusterFacts.topics(topics, admin: admin, timeoutMilliseconds: factsTimeout, warn: request.warn),
                ClusterFacts.groupOffsets(
                    selection: request.consumerGroups, excluding: request.settings.groupID?.value,
                    partitions: partitions, admin: admin,
                    timeoutMilliseconds: factsTimeout, warn: request.warn)
            )
        }

        var objectSettings = ObjectSettings(
            settings: request.settings, store: request.store, layout: request.layout,
            options: request.dataPutOptions(now: started))
        objectSettings.beforeReplacing = { try await BackupLease.checkHeld(lock) }
        let outcome: ReadOutcome
        if let group = request.settings.groupID?.value {
            outcome = try await readInGroup(
                request, group: group, topics: topics.map(\.name), partitions: partitions, checkpoint: checkpoint,
                settings: objectSettings, admin: admin, waits: waits)
        } else {
            outcome = try await readAssigned(
                request, partitions: partitions, checkpoint: checkpoint,
                settings: objectSettings, admin: admin, waits: waits)
        }
        let (manifestTopics, groups) = try await facts
        let writers = outcome.writers
        let uploads = outcome.uploads

        let objects = outcome.objects
        let covered = writers.map(\.manifestPartition)
        let finished = request.clock()
        var summary = BackupSummary(
            runId: runId.rawValue, job: request.job, shard: request.settings.shardLabel, topics: topics.count,
            partitions: writers.count, objects: objects.count, records: writers.reduce(0) { $0 + $1.records },
            bytes: uploads.storedBytes, skippedRecords: writers.reduce(0) { $0 + $1.skipped },
            retentionGaps: covered.reduce(0) { $0 + $1.gaps.filter { $0.reason == .retention }.count },
            lostOffsets: covered.reduce(0) { $0 + $1.gaps.filter { $0.reason == .retention }.reduce(0) { $0 + $1.range.count } },
            seconds: finished.timeIntervalSince(started), manifestKey: nil)
        summary.missingTopics = missingTopics.isEmpty ? nil : missingTopics.map(\.name)
        summary.offsetsBehindAtStart = covered.reduce(0) { $0 + max(0, $1.endOffsetAtStart - $1.startOffset) }
        let changes = await SavedFacts.changes(
            topics: manifestTopics, groupOffsets: groups.offsets, scope: groups.scope, runs: checkpoint.runs,
            store: request.store, layout: request.layout, warn: request.warn)
        var removedOffsets: [ManifestGroupPartition] = []
        if let scope = groups.scope, !changes.vanished.isEmpty {
            removedOffsets = try await waits.run("asking whether consumer groups' offsets are gone") {
                ClusterFacts.removed(changes.vanished, scope: scope, admin: admin, timeoutMilliseconds: factsTimeout)
            }
        }
        summary.groupOffsets = changes.groupOffsets.count
        summary.removedGroupOffsets = removedOffsets.count
        summary.groupOffsetsNotSaved = groups.notSaved

        // Only a log found empty: a partition another run covered since this one read the checkpoint
        // (a group member's, started where the index now says) is planned empty too.
        let held = Set(writers.map(\.partition))
        let newlyEmpty = checkpoint.newlyEmpty(
            writers.map(\.plan).filter(\.fromLogStart).map { ($0.partition, $0.accountedFrom, $0.end) }
                + outcome.emptyElsewhere.filter { !held.contains($0) }.map { ($0, 0, 0) })
        // No offsets covered: no manifest, so the store is unchanged and the checkpoint stays, unless
        // a topic or a group's offsets changed since the runs before saved them, or a partition was
        // found empty where no run had left it (its retention may delete records before the next run).
        if !covered.contains(where: { !$0.range.isEmpty }) {
            guard !newlyEmpty.isEmpty || (checkpoint.lastRunId != nil && (!changes.isEmpty || !removedOffsets.isEmpty)) else {
                summary.groupOffsets = 0
                return summary
            }
            summary.savedChangesOnly = true
        }
        var manifest = RunManifest(
            runId: runId, previousRunId: checkpoint.lastRunId, job: request.job, shard: request.settings.shardLabel,
            startedAt: started, finishedAt: finished,
            store: request.manifestStoreSettings, configHash: configHash, topics: manifestTopics,
            partitions: covered.filter { !$0.range.isEmpty }, objects: objects,
            consumerGroupOffsets: changes.groupOffsets, removedGroupOffsets: removedOffsets, clusterId: clusterId)
        manifest.emptyPartitions = newlyEmpty.isEmpty ? nil : newlyEmpty
        let key = request.layout.runManifestKey(runId)
        try await BackupLease.checkHeld(lock)
        try await Self.checkStoreSettings(configHash, request)
        let body = try manifest.encodedBytes(layout: request.layout)
        do {
            try await storeCall("write manifest \(key)") {
                var options = request.basePutOptions
                options.contentType = "application/json"
                try await request.store.putOnce(key, body: body, options: options)
            }
        } catch {
            try await manifestWriteFailed(error, key: key, body: body, request, lock: lock)
        }
        summary.manifestKey = key
        do {
            try await IndexKeeper.fold([manifest], store: request.store, layout: request.layout, options: request.basePutOptions)
        } catch {
            // The data and the manifest are durable; the lease is kept, so whichever run drops it
            // once it is over folds this manifest (BackupLease).
            request.warn(
                "the manifest \(key) is written but the store index \(request.layout.indexKey) could not be updated (\(error)); the lock's lease is kept, and the run that takes it over folds this run in"
            )
            lock.keepOnRelease()
        }
        await outcome.finish(covered.filter { !$0.range.isEmpty })
        return summary
    }

    /// A run with other byte-changing settings may have finished in a new store while this one ran
    /// (both passed the check at their start, when the store had none): this manifest would leave the
    /// store with two settings, and the index would refuse this run's fold, and every later backup,
    /// for good. Stop before the manifest instead (exit 2); this run's objects stay, named by none.
    private static func checkStoreSettings(_ configHash: String, _ request: BackupRequest) async throws {
        let held: StoreIndex?
        do {
            held = try await IndexKeeper.claimSettings(
                configHash, store: request.store, layout: request.layout, options: request.basePutOptions)
        } catch let error as CheckpointError {
            throw RunFailure.invalidInput("\(error)")
        } catch let error as ManifestError {
            throw RunFailure.invalidInput("\(error)")
        } catch {
            throw RunFailure.wrap(error, "claim the store's settings in \(request.layout.indexKey)")
        }
        guard let held, let stored = held.configHash else { return }
        let hashes = "(config hash \(stored.prefix(12)), this run's \(configHash.prefix(12)))"
        let notWritten = "this run's manifest is not written (its objects stay, named by no manifest)"
        guard let run = held.lastRunId else {
            // A claim no manifest backs yet: its run is writing one now, or was killed in between.
            throw RunFailure.invalidInput(
                "a run with other byte-changing settings \(hashes) claimed this new store's settings in \(request.layout.indexKey) and is about to write its manifest; \(notWritten): run it with the store's settings, or back it up into another store prefix (if no other backup is running, that run was killed before its manifest: remove \(request.layout.indexKey) and run again)"
            )
        }
        throw RunFailure.invalidInput(
            "run \(run), with other byte-changing settings \(hashes), finished in this store while this run ran; \(notWritten): run it with the store's settings, or back it up into another store prefix"
        )
    }

    /// A manifest write that failed may have landed, its answers lost: then the store index must
    /// learn of the run, or later runs (which read only manifests after the index's last run, and
    /// another run may have moved that past this one) would back its offsets up again. Returns when
    /// the manifest is there after all; throws `error` when it is not, or when that cannot be told,
    /// keeping the lease then, so whichever run drops it folds the manifest if it landed.
    private static func manifestWriteFailed(
        _ error: any Error, key: String, body: [UInt8], _ request: BackupRequest, lock: LeaseKeeper
    ) async throws {
        do {
            if try await request.store.get(key) == body { return }
        } catch let missing as StoreError where missing.isNotFound {
            throw error
        } catch {
            request.warn(
                "the manifest \(key) may have been written although no answer said so, and reading it back failed too (\(error)); the lock's lease is kept, and the run that takes it over folds this run in if it was"
            )
            lock.keepOnRelease()
        }
        throw error
    }

    /// Kafka never takes partitions away from a topic: one with fewer than the store holds records of
    /// was deleted and made again, and its partitions' new records would land beside the old ones.
    static func fewerPartitions(_ partitionCounts: [String: Int], checkpoint: Checkpoint) -> RunFailure? {
        var highest: [String: Int32] = [:]
        for tp in checkpoint.nextOffsets.keys { highest[tp.topic] = max(highest[tp.topic] ?? -1, tp.partition) }
        for (topic, count) in partitionCounts.sorted(by: { $0.key < $1.key }) {
            guard let held = highest[topic], held >= Int32(count) else { continue }
            return RunFailure.invalidInput(
                "topic \(topic) has \(count) partitions, but this store holds records of its partition \(held): Kafka never removes partitions, so the topic was deleted and created again (or the cluster replaced); back it up into another store prefix, or leave it out of this job"
            )
        }
        return nil
    }

    /// Static assignment (all partitions, or a `shard i/n`): planned up front, read by one reader.
    private static func readAssigned(
        _ request: BackupRequest, partitions: [TopicPartition], checkpoint: Checkpoint,
        settings: ObjectSettings, admin: KafkaAdmin, waits: KafkaWaits
    ) async throws -> ReadOutcome {
        // One round trip per partition, a few at a time: hundreds of partitions one after another
        // took a noticeable part of a run.
        let plans = try await mapConcurrently(partitions, limit: 16) { partition in
            try await waits.run("reading the offsets of \(partition)") { () -> PartitionPlan in
                let marks = try admin.watermarks(
                    TopicPartition(topic: partition.topic, partition: partition.partition), retryingFor: request.stallTimeout)
                return PartitionPlan.make(
                    partition,
                    checkpoint: checkpoint.nextOffset(topic: partition.topic, partition: partition.partition, logStart: marks.low),
                    low: marks.low, high: marks.high, lastRecord: checkpoint.lastRecordChecksums[partition],
                    lastRecordOffset: checkpoint.lastRecordOffsets[partition])
            }
        }
        // The store holds offsets this partition has not reached: its records would land under
        // offsets already stored, or be skipped once it passes them. Nothing is read.
        let behind = plans.filter { $0.endBelowCheckpoint != nil }
        if let failure = behind.first?.endBelowCheckpointFailure(others: behind.count - 1) { throw failure }
        for plan in plans {
            for gap in plan.gaps {
                request.warn(
                    RetentionWarning.line(topic: plan.partition.topic, partition: plan.partition.partition, gap: gap),
                    topic: plan.partition.topic, partition: plan.partition.partition)
            }
        }
        await OpenTransactions.warn(about: plans, admin: admin, kafka: request.kafka, warn: request.warn)

        // nonisolated(unsafe): the read thread alone uses the writers until it returns; this task only after.
        nonisolated(unsafe) let writers = plans.map { PartitionWriter(plan: $0, settings: settings) }
        let uploads = try await DedicatedThread.run(name: "ktape-backup-read") { () -> UploadQueue in
            let reader = try kafkaSync("start reading") { try KafkaPartitionReader(config: try snapshotReaderConfig(request.kafka)) }
            let loop = ReadLoop(request: request, writers: writers, reader: reader, admin: admin)
            try kafkaSync("read") { try loop.run() }
            return loop.uploads
        }
        return ReadOutcome(writers: writers, uploads: uploads)
    }

    /// Group mode: partitions come and go with the group; only those still held at the end go into
    /// this member's manifest. After the manifest is written the member commits their end offsets to
    /// the group (so a member that takes them over later starts there) and leaves the group.
    private static func readInGroup(
        _ request: BackupRequest, group: String, topics: [String], partitions: [TopicPartition], checkpoint: Checkpoint,
        settings: ObjectSettings, admin: KafkaAdmin, waits: KafkaWaits
    ) async throws -> ReadOutcome {
        // nonisolated(unsafe): the settings are handed to the group thread; this task does not touch them meanwhile.
        nonisolated(unsafe) let settings = settings
        // nonisolated(unsafe): the group thread has returned; only `finish`, after the manifest, uses the loop again.
        nonisolated(unsafe) let loop = try await DedicatedThread.run(name: "ktape-backup-group") { () -> GroupReadLoop in
            let loop = try GroupReadLoop(
                request: request, group: group, partitions: partitions, checkpoint: checkpoint, settings: settings, admin: admin)
            try kafkaSync("read") { try loop.run(topics: topics) }
            return loop
        }
        let writers = loop.writers.values.sorted { $0.partition < $1.partition }
        var outcome = ReadOutcome(writers: writers, uploads: loop.uploads)
        outcome.emptyElsewhere = loop.emptyAtJoin
        outcome.finish = { covered in
            let offsets = Dictionary(
                covered.map { (TopicPartition(topic: $0.topic, partition: $0.partition), $0.endOffset) },
                uniquingKeysWith: { a, _ in a })
            do {
                if !offsets.isEmpty { try await waits.run("committing the group's offsets") { try loop.reader.commit(offsets) } }
            } catch {
                request.warn(
                    "group \(group): the manifest is written but its end offsets could not be committed to the group (\(error)); a member taking these partitions over reads them again"
                )
            }
        }
        return outcome
    }

    // MARK: error lines

    private static func kafka<T>(_ what: String, _ body: () throws -> T) throws -> T {
        try kafkaSync(what, body)
    }

    private static func storeCall<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            throw RunFailure.wrap(error, what)
        }
    }
}

/// Runs a Kafka call, turning its error into a failure line that says what was being done.
func kafkaSync<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        throw RunFailure.wrap(error, what)
    }
}

/// A snapshot reads fixed ranges, so the end of a partition should be reported at once rather than
/// after the broker's long poll (`fetch.wait.max.ms`, 500 ms by default), which every wave of newly
/// assigned partitions would otherwise wait out (with 342 partitions read 16 at a time, most of a
/// run's time in scripts/bench). A value given with `-X` wins.
func snapshotReaderConfig(_ config: KafkaConfig) throws -> KafkaConfig {
    var config = config
    if config.value(of: "fetch.wait.max.ms") == nil { try config.set("fetch.wait.max.ms", "10") }
    return config
}
