import Foundation
import Kafka
import Layout
import ObjectStore
import SigV4

/// `ktape backup`: snapshots the selected partitions from their checkpoints up to the end offsets
/// seen at the start, writes the objects, then — only once every object is durable — the run's
/// manifest, which is what moves the checkpoint. A run killed at any moment leaves no manifest, so
/// the next run starts from the same checkpoint and writes the same keys and bytes again.
public enum BackupEngine {
    /// Runs one backup. Throws `BackupError` (its `kind` says which exit code it stands for).
    public static func run(_ request: BackupRequest) async throws -> BackupSummary {
        let started = request.clock()
        let settings = request.settings
        if let groupID = settings.groupID {
            throw BackupError.invalidInput("group-id \(groupID.value): sharing a job through the Kafka group protocol is not supported by this build; use shard i/n")
        }
        let configHash = Digest.hex(Digest.sha256(Array(settings.configHashText(topicsDir: request.layout.topicsDir).utf8)))
        let timeout = Int32(max(1, request.connectTimeout * 1000))

        let admin = try kafka("connect to Kafka") { try KafkaAdmin(config: request.kafka) }
        try await blocking("connect to Kafka") { try admin.checkConnection(timeoutMilliseconds: timeout) }
        let metadata = try await blocking("read cluster metadata") { try admin.metadata(timeoutMilliseconds: timeout) }
        let topics = try TopicSelection.select(settings: settings, metadata: metadata)
        let partitions = TopicSelection.share(of: topics, shard: settings.shard?.value)
        if partitions.isEmpty {
            request.warn(topics.isEmpty ? "no topic of the cluster matches topics-regex \(settings.topicsRegex?.value.pattern ?? "")"
                                        : "shard \(settings.shardLabel) has no partitions (the job has fewer partitions than shards)")
        }

        let runId = RunID(startedAt: started, shard: settings.shardLabel, randomSuffix: UInt32.random(in: .min ... .max))
        let lock = JobLockKeeper(request: request, runId: runId)
        try await storeCall("lock job \(request.lockName)") { try await lock.acquire() }
        do {
            let summary = try await locked(request, runId: runId, started: started, configHash: configHash,
                                           admin: admin, topics: topics, partitions: partitions, lock: lock)
            await lock.release()
            return summary
        } catch {
            await lock.release()
            throw error
        }
    }

    private static func locked(_ request: BackupRequest, runId: RunID, started: Date, configHash: String, admin: KafkaAdmin,
                               topics: [KafkaTopicMetadata], partitions: [TopicPartition],
                               lock: JobLockKeeper) async throws -> BackupSummary {
        let manifests = try await storeCall("read run manifests") {
            try await ManifestHistory.load(store: request.store, layout: request.layout)
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.derive(from: manifests, expectedConfigHash: configHash) } catch {
            throw BackupError.invalidInput("\(error)")
        }

        let plans = try await blocking("read partition offsets") {
            try partitions.map { partition -> PartitionPlan in
                let marks = try admin.watermarks(KafkaTopicPartition(topic: partition.topic, partition: partition.partition))
                return PartitionPlan.make(partition, checkpoint: checkpoint.nextOffset(topic: partition.topic, partition: partition.partition),
                                          low: marks.low, high: marks.high)
            }
        }
        for plan in plans {
            for gap in plan.gaps { request.warn(RetentionWarning.line(topic: plan.partition.topic, partition: plan.partition.partition, gap: gap)) }
            if plan.accountedFrom > plan.end {
                request.warn("topic \(plan.partition.topic) partition \(plan.partition.partition): checkpoint \(plan.accountedFrom) is past the end offset \(plan.end) (was the topic deleted and created again?); nothing read")
            }
        }

        // Topic configs and group offsets are asked for while the partitions are read.
        let factsTimeout = Int32(max(1, request.clusterFactsTimeout * 1000))
        async let facts = blocking("describe topics") { () -> ([ManifestTopic], [ManifestGroupOffset]) in
            (ClusterFacts.topics(topics, admin: admin, timeoutMilliseconds: factsTimeout, warn: request.warn),
             ClusterFacts.groupOffsets(selection: request.consumerGroups, partitions: partitions, admin: admin,
                                       timeoutMilliseconds: factsTimeout, warn: request.warn))
        }

        let objectSettings = ObjectSettings(settings: request.settings, store: request.store, layout: request.layout,
                                            options: request.dataPutOptions(now: started))
        let writers = plans.map { PartitionWriter(plan: $0, settings: objectSettings) }
        let uploads = try await DedicatedThread.run(name: "ktape-backup-read") { () -> UploadQueue in
            let reader = try kafkaSync("start reading") { try KafkaPartitionReader(config: request.kafka) }
            let loop = ReadLoop(request: request, writers: writers, reader: reader, admin: admin)
            try kafkaSync("read") { try loop.run() }
            return loop.uploads
        }
        let (manifestTopics, groupOffsets) = try await facts

        let objects = uploads.completed.sorted { ($0.topic, $0.partition, $0.firstOffset) < ($1.topic, $1.partition, $1.firstOffset) }
        let covered = writers.map(\.manifestPartition)
        let finished = request.clock()
        var summary = BackupSummary(
            runId: runId.rawValue, job: request.job, shard: request.settings.shardLabel, topics: topics.count,
            partitions: partitions.count, objects: objects.count, records: writers.reduce(0) { $0 + $1.records },
            bytes: uploads.storedBytes, skippedRecords: writers.reduce(0) { $0 + $1.skipped },
            retentionGaps: covered.reduce(0) { $0 + $1.gaps.filter { $0.reason == .retention }.count },
            lostOffsets: covered.reduce(0) { $0 + $1.gaps.filter { $0.reason == .retention }.reduce(0) { $0 + $1.range.count } },
            seconds: finished.timeIntervalSince(started), manifestKey: nil)

        // No offsets covered: no manifest, so the store is unchanged and the checkpoint stays.
        guard covered.contains(where: { !$0.range.isEmpty }) else { return summary }
        let manifest = RunManifest(
            runId: runId, previousRunId: checkpoint.lastRunId, job: request.job, shard: request.settings.shardLabel,
            startedAt: started, finishedAt: finished,
            store: ManifestStoreSettings(topicsDir: request.layout.topicsDir, format: request.settings.format.value,
                                         compression: request.settings.compression.value),
            configHash: configHash, topics: manifestTopics, partitions: covered.filter { !$0.range.isEmpty }, objects: objects,
            consumerGroupOffsets: groupOffsets)
        let key = request.layout.runManifestKey(runId)
        try await lock.checkOurs()
        try await storeCall("write manifest \(key)") {
            var options = request.basePutOptions
            options.ifNoneMatch = true
            options.contentType = "application/json"
            try await request.store.put(key, body: Array(try manifest.encoded()), options: options)
        }
        summary.manifestKey = key
        return summary
    }

    // MARK: error lines

    private static func kafka<T>(_ what: String, _ body: () throws -> T) throws -> T {
        try kafkaSync(what, body)
    }

    private static func blocking<T: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do { return try await KafkaBlocking.run(body) } catch {
            throw BackupError.wrap(error, what)
        }
    }

    private static func storeCall<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            throw BackupError.wrap(error, what)
        }
    }
}

/// Runs a Kafka call, turning its error into a failure line that says what was being done.
func kafkaSync<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        throw BackupError.wrap(error, what)
    }
}
