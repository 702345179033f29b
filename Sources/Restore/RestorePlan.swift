import Foundation
import Layout

/// One source partition and the target partition of the same number it restores into (or, when its
/// topic is repartitioned, the target partitions its records' keys choose).
public struct PartitionPlan: Sendable {
    public var sourceTopic: String
    public var targetTopic: String
    public var partition: Int32
    var objects: [SourceObject]
    /// Record count from the manifests; nil when a listed store cannot tell without reading.
    public var records: Int64?
    /// Bytes of the objects as stored.
    public var bytes: Int64
    /// Objects left out because the store no longer holds them (`--allow-missing`).
    var skippedMissing: [String] = []
    /// The last record offset of the objects `ktape prune` removed from this partition, if any.
    var prunedThrough: Int64?
    public var objectCount: Int { objects.count }

    var source: TopicPartition { TopicPartition(sourceTopic, partition) }
    var target: TopicPartition { TopicPartition(targetTopic, partition) }
}

/// What happens to a target topic before anything is produced.
public enum TargetTopicAction: Sendable, Equatable {
    /// Not checked yet (the plan before the cluster was asked).
    case unchecked
    /// Exists with enough partitions.
    case exists(partitions: Int32)
    /// Missing; `--create-topics` creates it.
    case create
}

/// One source topic, where it goes and its partitions.
public struct TopicPlan: Sendable {
    public var sourceTopic: String
    public var targetTopic: String
    /// The source topic's partition count (the manifest's, else one past the highest found).
    public var sourcePartitions: Int32
    public var partitions: [PartitionPlan]
    public var action: TargetTopicAction = .unchecked
    /// With `--repartition`, the target's partition count when it differs from the source's: each
    /// record then goes where Kafka's default partitioner sends its key (see `RecordRouter`).
    public var repartitionedInto: Int32?
    /// The configs a created target got, and those it refused (nil: not created by this restore).
    public var createdConfigs: CreatedTopicConfigs?
    /// The target's time-based retention, where known and judged by the records' own timestamps
    /// (not LogAppendTime): `RetentionCheck` warns of restored records older than it.
    var targetRetention: TargetRetention?
    /// Dry run: records of this topic its target already holds from an earlier run (nil: not read).
    public var alreadyPresent: Int64?
    /// Dry run: the records a run would produce (nil: not read, or the manifests cannot tell). In a
    /// topic pruned since its restore began, not `records - alreadyPresent`: the target holds pruned ones.
    public var toProduce: Int64?
    /// The newest run's view of the topic (configs, timestamp type); nil for a listed store.
    var manifestTopic: ManifestTopic?
    /// The runs saw the topic but read no record of it: its target is checked or created, and its
    /// groups' offsets set, with nothing to produce.
    var isEmptyInStore = false

    public var records: Int64? {
        partitions.reduce(Int64(0) as Int64?) { sum, p in sum.flatMap { s in p.records.map { s + $0 } } }
    }
    public var bytes: Int64 { partitions.reduce(0) { $0 + $1.bytes } }
    public var objectCount: Int { partitions.reduce(0) { $0 + $1.objectCount } }
}

/// The whole restore, decided before anything is produced.
public struct RestorePlan: Sendable {
    public var topics: [TopicPlan]
    /// Things the user should know that do not stop the restore.
    public var warnings: [String]
    /// What stops the restore, every one found (a dry run prints them all, then exits 2).
    public var problems: [String] = []
    /// Dry run with a time range: the record counts are those inside it, and this many objects were
    /// read to count them (the others' record times in the manifests decided); nil without a range.
    public var objectsReadToCount: Int?
    /// True when read from manifests (false: a listed Confluent-style store).
    public var fromManifests: Bool
    var groupOffsets: [ManifestGroupOffset]
    /// Target topics `--create-topics` is to create (none exist yet).
    var targetsToCreate: Set<String> { Set(topics.filter { $0.action == .create }.map(\.targetTopic)) }
    /// Ranges of objects the store no longer holds, left out with `--allow-missing`.
    public var missingRanges: [String] = []
    /// Records of objects left unread because all of them fall outside --from-time/--to-time.
    public var filteredByTime: Int64 = 0
    /// Partitions of selected topics that prune emptied: none of their objects is left to plan, and a
    /// restore that began before the prune is checked against them all the same.
    var prunedAway: [PrunedAway] = []
    /// Every selected topic was emptied by prune: the line of a restore that had not restored them
    /// whole before it (RestoreEngine.restoredBeforeThePrune).
    var nothingLeft: String?

    public var partitions: [PartitionPlan] { topics.flatMap(\.partitions) }
}

/// A partition prune emptied, with where its records would have gone.
struct PrunedAway: Sendable {
    var sourceTopic: String
    var target: TopicPartition
    /// The last offset pruned.
    var through: Int64
}
