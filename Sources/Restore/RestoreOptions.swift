import Failures
import Foundation
import Kafka
import Layout
import StoreLock
import Threads
import JobSpec
import RecordFormats

/// Everything one restore needs to know, taken from a validated job (`RestoreOptions(spec:)`) or
/// built directly by tests. The engine receives the store; it never opens one.
public struct RestoreOptions: Sendable {
    /// The target cluster (bootstrap list and `-X` properties).
    public var kafka: KafkaConfig
    /// Which files of which topics; nil restores every topic, every file.
    public var topicRegexList: TopicRegexList?
    /// RegexRouter rename; nil keeps names.
    public var rename: RegexRouter?
    public var createTopics = false
    /// A target topic whose partition count differs from its source's gets each record in the partition
    /// Kafka's default partitioner chooses for its key (`RecordRouter`) instead of being refused.
    public var repartition = false
    /// Replication factor of created topics; nil is the broker's default.
    public var replicationFactor: Int?
    public var dryRun = false
    /// Epoch ms, inclusive.
    public var fromTime: Int64?
    /// Epoch ms, exclusive.
    public var toTime: Int64?
    /// Restore the store as it was after this run.
    public var asOf: RunID?
    /// Groups whose saved offsets to translate and commit; nil commits none.
    public var consumerGroups: ConsumerGroupSelection?
    /// A local directory for resume state instead of the store (read-only buckets).
    public var stateDirectory: String?
    /// Restore what is there when objects the manifests name are gone (a lifecycle rule, a manual
    /// delete); the missing ranges are listed in the summary. Without it such a restore stops first.
    public var allowMissing = false
    /// How `.keys.json` companions were written (the sink's `key.converter`); ktape's own backup and
    /// Confluent's `StringConverter` both give JSON strings.
    public var keyStyle: ConfluentKeyStyle = .string

    /// `keyStyle` as `--key-converter` names it.
    var keyConverterName: String {
        switch keyStyle {
        case .string: return "string"
        case .json: return "json"
        case .base64: return "bytearray"
        }
    }
    /// Bytes fetched per ranged GET while streaming an object.
    public var chunkSize = 4 * 1024 * 1024
    /// Bytes of records (about) decoded into one batch: a batch is lent to the producer until its
    /// last record is delivered, so smaller batches hold less while the queue drains.
    public var batchSize = 1024 * 1024
    /// Resume state is written at most this often while producing (and always at the end).
    public var stateInterval: TimeInterval = 2
    /// How long to wait for APIs some brokers never answer (DescribeConfigs, ListGroups, e.g. on
    /// librdkafka's mock cluster); they are best-effort checks.
    public var bestEffortTimeoutMilliseconds: Int32 = 5_000
    /// How long to wait for CreateTopics.
    public var createTimeoutMilliseconds: Int32 = 30_000
    /// The job's name, for the lease a second restore is refused with.
    public var jobName: String?
    /// Names this process in the lease (`host pid N`), so a killed restore's lease is taken over at once on this host.
    public var holder: String = LockHolder.current
    /// The lease on the target topics; renewed every third of it while the restore goes.
    public var lockLease: TimeInterval = 600
    /// Every time a restore reads (lease, resume state, summary, deadlines); tests may shift it.
    public var clock: @Sendable () -> Date = { Date() }
    /// A restore whose records wait this long without a delivery report (the target died) fails.
    public var stallTimeout: TimeInterval = 120
    /// Raised by SIGTERM or SIGINT: the restore stops producing, saves what was confirmed, releases
    /// its lease and throws `RunFailure` with `isInterrupted`.
    public var stop = StopSignal()

    /// Options with a target and defaults for everything else.
    public init(kafka: KafkaConfig) {
        self.kafka = kafka
    }

    /// The target named by its bootstrap list (`clusterName`). The lease and resume state are keyed
    /// by the cluster's id; by this name only when the cluster reports none. State that versions
    /// before cluster ids saved under this name is still resumed from.
    public var bootstrapName: String { Self.clusterName(kafka.bootstrapServers) }

    /// Options from a validated `restore` job. Throws `RunFailure` (invalid input) for a bad `-X`.
    /// The restore settings of a validated job; `kafka` is the target's client config, built from the
    /// job's bootstrap list and `-X` properties by the caller (one place for both commands).
    public init(spec: JobSpec, kafka: KafkaConfig) {
        self.init(kafka: kafka)
        jobName = spec.jobName
        stallTimeout = TimeInterval(spec.common.stallTimeout.value)
        consumerGroups = spec.common.consumerGroups?.value
        if let restore = spec.restore {
            topicRegexList = restore.topicRegexList?.value
            rename = restore.rename?.value
            createTopics = restore.createTopics.value
            replicationFactor = restore.replicationFactor?.value
            dryRun = restore.dryRun.value
            fromTime = restore.fromTime?.value
            toTime = restore.toTime?.value
            asOf = restore.asOf?.value
            stateDirectory = restore.stateDir?.value
            repartition = restore.repartition.value
            allowMissing = restore.allowMissing.value
            switch restore.keyConverter.value {
            case .string: keyStyle = .string
            case .json: keyStyle = .json
            case .bytearray: keyStyle = .base64
            }
        }
    }

    /// A key-safe name for a bootstrap list: its hosts sorted, so the order given does not matter.
    public static func clusterName(_ bootstrap: String) -> String {
        let hosts = bootstrap.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return KeySafe.text(hosts.sorted().joined(separator: ","))
    }

    /// The target topic for a source topic.
    func target(of source: String) -> String { rename?.route(source) ?? source }

    /// True when `timestamp` (ms) lies inside `[fromTime, toTime)`.
    func inTimeRange(_ timestamp: Int64) -> Bool {
        if let fromTime, timestamp < fromTime { return false }
        if let toTime, timestamp >= toTime { return false }
        return true
    }

    var hasTimeFilter: Bool { fromTime != nil || toTime != nil }

    /// True when the manifest says every record of `object` falls outside `[fromTime, toTime)`.
    func excludesByTime(_ object: SourceObject) -> Bool {
        guard let manifest = object.manifest else { return false }
        if let fromTime, let newest = manifest.maxTimestamp, newest < fromTime { return true }
        if let toTime, let oldest = manifest.minTimestamp, oldest >= toTime { return true }
        return false
    }
}

extension RestoreOptions {
    /// Runs a blocking call on the target cluster off the cooperative pool; a stop request gives the
    /// wait up at once (librdkafka's own timeouts, 10 to 30 s a call, would hold a stopping restore).
    func onTarget<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await KafkaBlocking.run(stop: stop, watch: nil, body)
        } catch Abandoned.stopped(let reason) {
            throw RunFailure.restoreInterrupted(reason)
        }
    }
}
