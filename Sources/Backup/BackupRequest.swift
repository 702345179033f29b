import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import StoreLock
import Threads
import JobSpec

/// Everything one backup run needs: validated settings, an opened store and a Kafka configuration.
/// The command line builds it from a `JobSpec`; tests build it directly.
public struct BackupRequest: Sendable {
    /// The job's name (`JobSpec.jobName`): named in every manifest and in the store lock's lease.
    public var job: String
    public var settings: BackupSettings
    /// `consumer-groups` (common settings); nil saves every group found by ListGroups.
    public var consumerGroups: ConsumerGroupSelection?
    public var kafka: KafkaConfig
    public var store: any ObjectStore
    public var layout: StoreLayout
    /// Headers every write carries (SSE, ACL, expected owner); the engine adds storage class and
    /// Object Lock for data objects only.
    public var basePutOptions: PutOptions
    /// Who holds the lock, for the line a second run prints (host and pid by default).
    public var holder: String
    /// The lock's lease; renewed every third of it while the run goes.
    public var lockLease: TimeInterval = 600
    /// How long the run waits before taking the lease of a killed run of this host (`KilledBackupFence`).
    public var killedRunGrace: TimeInterval = KilledBackupFence.grace
    /// A run that makes no progress for this long (brokers down, a partition stuck) fails; every
    /// wait on Kafka counts, from the first metadata request to the last offset commit.
    public var stallTimeout: TimeInterval = BackupRequest.defaultStallTimeout
    public static let defaultStallTimeout: TimeInterval = 120
    /// Raised by SIGTERM or SIGINT: the run ends its work cleanly (open uploads aborted, lock
    /// released, no manifest) and throws `RunFailure` of kind `interrupted`.
    public var stop = StopSignal()
    /// How long Kafka gets to answer the first request before the run fails with one line.
    public var connectTimeout: TimeInterval = 10
    /// How long each best-effort broker question (topic configs, consumer groups) may take.
    public var clusterFactsTimeout: TimeInterval = 5
    public var clock: @Sendable () -> Date = { Date() }
    /// The run's id (its manifest's name); made by the engine when nil. The command line makes it
    /// first so that every log line of the run carries it.
    public var runId: RunID?
    /// Warnings (retention gaps, missing broker APIs), one line each.
    public var warn: @Sendable (String) -> Void = { _ in }
    /// Warnings about one partition (a retention gap), with it apart for the log line's fields; `warn` when nil.
    public var warnAbout: (@Sendable (_ line: String, _ topic: String, _ partition: Int32) -> Void)?

    func warn(_ line: String, topic: String, partition: Int32) {
        if let warnAbout { warnAbout(line, topic, partition) } else { warn(line) }
    }
    /// Progress per topic, at most every `progressInterval` seconds; nil for none.
    public var progress: (@Sendable ([TopicProgress]) -> Void)?
    public var progressInterval: TimeInterval = 0.5

    public init(
        job: String, settings: BackupSettings, consumerGroups: ConsumerGroupSelection? = nil,
        kafka: KafkaConfig, store: any ObjectStore, layout: StoreLayout,
        basePutOptions: PutOptions = PutOptions(), holder: String = BackupRequest.defaultHolder
    ) {
        self.job = job
        self.settings = settings
        self.consumerGroups = consumerGroups
        self.kafka = kafka
        self.store = store
        self.layout = layout
        self.basePutOptions = basePutOptions
        self.holder = holder
    }

    /// `host pid N` (see `LockHolder`).
    public static var defaultHolder: String { LockHolder.current }

    /// Data objects: base headers plus storage class and Object Lock retention from `now`.
    func dataPutOptions(now: Date) -> PutOptions {
        var options = basePutOptions
        if settings.storageClass.value != .standard { options.storageClass = settings.storageClass.value.rawValue }
        if let lock = settings.objectLock?.value {
            options.objectLock = ObjectLockRetention(mode: lock.mode, retainUntil: now.addingTimeInterval(Double(lock.retainDays) * 86_400))
        }
        return options
    }
}

/// One topic's progress so far.
public struct TopicProgress: Sendable, Equatable {
    public var topic: String
    public var records: Int64
    /// Encoded bytes (before compression).
    public var bytes: Int64
    /// Offsets still to read up to the snapshot's end offsets.
    public var remainingOffsets: Int64
    /// Offsets read so far (records plus skipped markers).
    public var doneOffsets: Int64
}

extension BackupRequest {
    /// What the run's manifest says of the store's settings.
    public var manifestStoreSettings: ManifestStoreSettings {
        ManifestStoreSettings(
            topicsDir: layout.topicsDir, format: settings.format.value, compression: settings.compression.value,
            compressionLevel: settings.compression.value == .gzip ? settings.compressionLevel.value : nil)
    }
}
