import Foundation
import Layout

/// A validated job: the settings of one command, each with its origin. Build it with
/// `JobSpec(document:command:)` from a job file's document merged with flags.
public struct JobSpec: Sendable {
    public var command: JobCommand
    public var common: CommonSettings
    /// Present for `backup`.
    public var backup: BackupSettings?
    /// Present for `restore`.
    public var restore: RestoreSettings?
    /// Present for `prune`.
    public var prune: PruneSettings?
    /// Present for `ls` and `verify`.
    public var inspect: InspectSettings?
    /// The document validated, kept for `effectiveConfigText`.
    public var document: JobDocument
}

/// Settings every command reads.
public struct CommonSettings: Sendable {
    /// Required for backup and restore.
    public var bootstrapServers: Setting<String>?
    /// `-X` librdkafka properties.
    public var kafkaProperties: Setting<[String: String]>
    public var store: Setting<StoreLocation>
    public var endpointURL: Setting<String>?
    public var region: Setting<String>?
    /// The AWS profile (over `AWS_PROFILE`).
    public var profile: Setting<String>?
    public var addressingStyle: Setting<AddressingStyle>
    public var topicsDir: Setting<String>
    public var logFormat: Setting<LogFormat>
    public var summaryJSON: Setting<String>?
    public var metricsFile: Setting<String>?
    /// A Prometheus Pushgateway (`http[s]://host:port[/path]`) to push the run's metrics to.
    public var metricsPushURL: Setting<String>?
    /// One log line per S3 request and librdkafka's debug contexts.
    public var verbose: Setting<Bool>
    public var mskIAM: Setting<Bool>
    /// Seconds a run may wait on Kafka without progress before it fails.
    public var stallTimeout: Setting<Int>
    /// A week: a longer wait without progress is a typo (and seconds near Int.max overflow later).
    public static let longestStallTimeout = 604_800
    public var consumerGroups: Setting<ConsumerGroupSelection>?
    public var sse: Setting<ServerSideEncryption>?
    public var sseKMSKeyID: Setting<String>?
    public var acl: Setting<CannedACL>?
    public var expectedBucketOwner: Setting<String>?

    /// Key layout of the store (its prefix, for S3, and the topics dir).
    public var storeLayout: StoreLayout {
        if case .s3(_, let prefix) = store.value { return StoreLayout(prefix: prefix, topicsDir: topicsDir.value) }
        return StoreLayout(prefix: "", topicsDir: topicsDir.value)
    }
}

/// Settings only `backup` reads.
public struct BackupSettings: Sendable {
    /// Topics by name; set when `topics` is given.
    public var topics: Setting<[String]>?
    /// Topics by whole-name regex; set when `topics-regex` is given.
    public var topicsRegex: Setting<WholeNameRegex>?
    public var format: Setting<StoreFormat>
    public var compression: Setting<StoreCompression>
    /// zlib's level for gzip objects, 1 (fastest) to 9 (smallest); Confluent's `s3.compression.level`.
    public var compressionLevel: Setting<Int>
    public var flushSize: Setting<Int>
    public var partSize: Setting<Int64>
    public var maxObjectBytes: Setting<Int64>
    public var maxOpenObjects: Setting<Int>
    public var concurrency: Setting<Int>
    public var onInvalidJSON: Setting<InvalidJSONPolicy>
    public var storeKeys: Setting<Bool>
    public var storeHeaders: Setting<Bool>
    public var groupID: Setting<String>?
    public var shard: Setting<ShardAssignment>?
    public var storageClass: Setting<StorageClass>
    public var objectLock: Setting<ObjectLock>?

    /// Chosen from measurements: see docs/backup.md ("Compression").
    public static let defaultCompressionLevel = 2

    /// The manifest's shard label: `i/n`, `group:<id>` or `all`.
    public var shardLabel: String {
        if let shard { return shard.value.description }
        if let groupID { return "group:\(groupID.value)" }
        return "all"
    }

    /// True when `topic` is selected by `topics` or `topics-regex`.
    public func selects(topic: String) -> Bool {
        (topics?.value.contains(topic) ?? false) || (topicsRegex?.value.matches(topic) ?? false)
    }
}

/// Settings only `prune` reads.
public struct PruneSettings: Sendable {
    /// Records older than this are pruned: `keep-within` counted back from the run's start, or `before`.
    public var cutoff: Setting<PruneCutoff>
    /// Topics to prune by name and by whole-name regex; neither: every topic in the store.
    public var topics: Setting<[String]>?
    public var topicsRegex: Setting<WholeNameRegex>?
    public var dryRun: Setting<Bool>

    /// True when `topic` is to be pruned.
    public func selects(topic: String) -> Bool {
        if topics == nil && topicsRegex == nil { return true }
        return (topics?.value.contains(topic) ?? false) || (topicsRegex?.value.matches(topic) ?? false)
    }
}

/// Where prune cuts: records older than a fixed time, or than a duration before the run.
public enum PruneCutoff: Sendable, Equatable {
    /// `keep-within`: seconds.
    case keepWithin(TimeInterval)
    /// `before`: epoch milliseconds.
    case before(Int64)

    /// The cutoff as epoch milliseconds for a run starting at `now`.
    public func milliseconds(now: Date) -> Int64 {
        switch self {
        case .keepWithin(let seconds): return Int64(((now.timeIntervalSince1970 - seconds) * 1000).rounded(.down))
        case .before(let millis): return millis
        }
    }
}

/// Settings only `ls` and `verify` read.
public struct InspectSettings: Sendable {
    /// One JSON document on stdout instead of text.
    public var json: Setting<Bool>
}

/// Settings only `restore` reads.
public struct RestoreSettings: Sendable {
    /// Files per topic; nil restores every topic in the store.
    public var topicRegexList: Setting<TopicRegexList>?
    /// RegexRouter rename; nil keeps names.
    public var rename: Setting<RegexRouter>?
    public var createTopics: Setting<Bool>
    public var dryRun: Setting<Bool>
    /// Epoch milliseconds, inclusive.
    public var fromTime: Setting<Int64>?
    /// Epoch milliseconds, exclusive.
    public var toTime: Setting<Int64>?
    public var asOf: Setting<RunID>?
    public var replicationFactor: Setting<Int>?
    public var stateDir: Setting<String>?
    /// Send each record where Kafka's default partitioner sends its key in the target's partition count.
    public var repartition: Setting<Bool>
    /// Restore what is there when objects the manifests name are gone.
    public var allowMissing: Setting<Bool>
    /// How `.keys.json` companions were written.
    public var keyConverter: Setting<KeyConverter>
}
