import Foundation

/// The record a backup run (one shard of it) leaves in `_ktape/runs/<runId>.json`, written once,
/// after every data object it names is durable.
public struct RunManifest: Codable, Equatable, Sendable {
    /// Written as `"format"`; readers refuse any other value.
    public static let formatName = "ktape-manifest"
    /// The version this code writes; readers refuse higher ones. Version 3 checksums objects with
    /// CRC64NVME (earlier versions: SHA-256); version 2 holds object keys relative to the store root;
    /// version 1 held them with the prefix of the store that wrote them.
    public static let currentVersion = 3

    public var format: String = RunManifest.formatName
    public var version: Int = RunManifest.currentVersion
    public var runId: RunID
    /// The run this one continues from; nil for the job's first run.
    public var previousRunId: RunID?
    public var job: String
    /// `0/3`, `group:<id>` or `all`.
    public var shard: String
    public var startedAt: Date
    public var finishedAt: Date
    public var store: ManifestStoreSettings
    /// SHA-256 hex of the settings that change object bytes; runs with different hashes never mix.
    public var configHash: String
    public var topics: [ManifestTopic]
    public var partitions: [ManifestPartition]
    public var objects: [ManifestObject]
    public var consumerGroupOffsets: [ManifestGroupOffset]
    /// Group offsets a run before saved that this run found no longer committed (the group deleted,
    /// or its offsets expired or deleted); nil when none. Readers before it skip the field and
    /// restore the older value, as they always did.
    public var removedGroupOffsets: [ManifestGroupPartition]?
    /// The id of the Kafka cluster the run read (nil: runs before it was recorded, or a cluster that
    /// reports none): another cluster's offsets of a topic of the same name cannot continue its history.
    public var clusterId: String?
    /// Set only in a placeholder (`placeholder(for:takenOverBy:...)`): the run that took this killed
    /// run's lease and wrote this in place of the manifest it never wrote.
    public var takenOverBy: RunID?
    /// Partitions the run found with nothing to read where no run before had left them, and the
    /// offset they stood at: a later run that finds such a log starting past it knows retention
    /// deleted records in between. Nil when none; readers before it skip the field.
    public var emptyPartitions: [ManifestEmptyPartition]?

    public init(
        runId: RunID, previousRunId: RunID?, job: String, shard: String, startedAt: Date, finishedAt: Date,
        store: ManifestStoreSettings, configHash: String, topics: [ManifestTopic] = [],
        partitions: [ManifestPartition] = [], objects: [ManifestObject] = [],
        consumerGroupOffsets: [ManifestGroupOffset] = [], removedGroupOffsets: [ManifestGroupPartition] = [],
        clusterId: String? = nil
    ) {
        self.runId = runId
        self.previousRunId = previousRunId
        self.job = job
        self.shard = shard
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.store = store
        self.configHash = configHash
        self.topics = topics
        self.partitions = partitions
        self.objects = objects
        self.consumerGroupOffsets = consumerGroupOffsets
        self.removedGroupOffsets = removedGroupOffsets.isEmpty ? nil : removedGroupOffsets
        self.clusterId = clusterId
    }
}

extension RunManifest {
    /// What a run writes, create-only, at the manifest key of a killed backup whose lease it takes
    /// and whose manifest is not there: no records, and the key taken, so that the killed run's own
    /// manifest, if a server was still carrying out its write, is refused rather than landing beside
    /// the records the new run backs up again. `configHash` is the store's, so no reader takes the
    /// placeholder for a run with other settings. It started when its id says (ls showed the time it
    /// was taken over); it ended, killed, at some time before `date`.
    public static func placeholder(
        for run: RunID, takenOverBy: RunID, job: String, at date: Date, store: ManifestStoreSettings, configHash: String
    ) -> RunManifest {
        var manifest = RunManifest(
            runId: run, previousRunId: nil, job: job, shard: "-", startedAt: min(run.startedAt ?? date, date), finishedAt: date,
            store: store, configHash: configHash)
        manifest.takenOverBy = takenOverBy
        return manifest
    }

    /// A placeholder of a killed run: it stored nothing, and stands for no finished run.
    public var isPlaceholder: Bool { takenOverBy != nil }

    /// Every topic the run read: those it described and those it wrote records of (a topic with no
    /// new records is in `topics` only).
    public var readTopics: Set<String> { Set(topics.map(\.name)).union(partitions.map(\.topic)) }
}

/// A partition a run found empty (its log start at its end offset) and where its offsets stood.
public struct ManifestEmptyPartition: Codable, Equatable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// Store settings a reader needs to find and decode the run's objects.
public struct ManifestStoreSettings: Codable, Equatable, Sendable {
    public var topicsDir: String
    public var format: StoreFormat
    public var compression: StoreCompression
    /// zlib's level of gzip objects (optional, for the record: readers need not know it, and runs with
    /// different levels may share a store).
    public var compressionLevel: Int?

    public init(topicsDir: String, format: StoreFormat, compression: StoreCompression, compressionLevel: Int? = nil) {
        self.topicsDir = topicsDir
        self.format = format
        self.compression = compression
        self.compressionLevel = compressionLevel
    }

    /// What differs from `other` among the settings a manifest records, as "compression: gzip in the
    /// store's runs, none in this run"; empty when those agree (store-keys, store-headers and
    /// on-invalid-json are only in the config hash).
    public func changes(to other: ManifestStoreSettings) -> [String] {
        [
            ("format", format.rawValue, other.format.rawValue),
            ("compression", compression.rawValue, other.compression.rawValue),
            ("topics-dir", topicsDir, other.topicsDir)
        ].compactMap { name, stored, now in stored == now ? nil : "\(name): \(stored) in the store's runs, \(now) in this run" }
    }
}

/// Kafka's `message.timestamp.type` of a topic.
public enum TopicTimestampType: String, Codable, Sendable {
    case createTime = "CreateTime"
    case logAppendTime = "LogAppendTime"
}

/// A topic as the run saw it.
public struct ManifestTopic: Codable, Equatable, Sendable {
    public var name: String
    public var partitionCount: Int32
    /// The topic's own overrides, and the configs a faithful copy needs (`TopicConfigs.faithful`)
    /// whatever source the broker reported for them.
    public var configs: [String: String]
    /// `cleanup.policy`, e.g. `delete`, `compact` or `compact,delete`.
    public var cleanupPolicy: String
    public var timestampType: TopicTimestampType

    public init(
        name: String, partitionCount: Int32, configs: [String: String] = [:],
        cleanupPolicy: String = "delete", timestampType: TopicTimestampType = .createTime
    ) {
        self.name = name
        self.partitionCount = partitionCount
        self.configs = configs
        self.cleanupPolicy = cleanupPolicy
        self.timestampType = timestampType
    }
}

/// A half-open offset range `[start, end)`.
public struct OffsetRange: Codable, Hashable, Sendable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64

    public init(_ start: Int64, _ end: Int64) {
        self.start = start
        self.end = end
    }

    public var isEmpty: Bool { end <= start }
    public var count: Int64 { max(0, end - start) }
    public var description: String { "[\(start), \(end))" }
}

/// Why a run has no object for some offsets.
public enum GapReason: String, Codable, Sendable {
    /// Deleted by retention before the run could read it: data lost, reported loudly.
    case retention
    /// Offsets that hold no record (transaction markers, compacted away): nothing lost.
    case noRecords
}

/// Offsets `[start, end)` of a partition that no object holds, and why.
public struct OffsetGap: Codable, Equatable, Sendable {
    public var start: Int64
    public var end: Int64
    public var reason: GapReason

    public init(start: Int64, end: Int64, reason: GapReason) {
        self.start = start
        self.end = end
        self.reason = reason
    }

    public var range: OffsetRange { OffsetRange(start, end) }
}

/// What a run covered of one partition.
public struct ManifestPartition: Codable, Equatable, Sendable {
    public var topic: String
    public var partition: Int32
    /// First offset this run accounted for (the checkpoint it resumed from, or the log start).
    public var startOffset: Int64
    /// One past the last offset this run accounted for; the next run starts here.
    public var endOffset: Int64
    /// The partition's end offset when the run started (the snapshot's target).
    public var endOffsetAtStart: Int64
    public var gaps: [OffsetGap]
    /// CRC64NVME (base64) of the run's last record (its timestamp, key, value and headers), at
    /// `endOffset - 1` or at `lastRecordOffset`: the next run reads that record again and compares,
    /// so a topic deleted and created again is not taken for the one this store followed.
    public var lastRecordCrc64nvme: String?
    /// Where that record is when not at `endOffset - 1`: the run ended on transaction markers.
    public var lastRecordOffset: Int64?

    public init(
        topic: String, partition: Int32, startOffset: Int64, endOffset: Int64,
        endOffsetAtStart: Int64, gaps: [OffsetGap] = [], lastRecordCrc64nvme: String? = nil, lastRecordOffset: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.endOffsetAtStart = endOffsetAtStart
        self.gaps = gaps
        self.lastRecordCrc64nvme = lastRecordCrc64nvme
        self.lastRecordOffset = lastRecordOffset
    }

    public var range: OffsetRange { OffsetRange(startOffset, endOffset) }
}

/// One data object a run wrote.
public struct ManifestObject: Codable, Equatable, Sendable {
    public var key: String
    public var topic: String
    public var partition: Int32
    /// Offset of the first and last record in the object.
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The offsets this object accounts for, `[spanStart, spanEnd)`: its records plus neighbouring
    /// offsets that hold no record (compacted away, transaction markers) so that spans of
    /// consecutive objects meet.
    public var spanStart: Int64
    public var spanEnd: Int64
    public var recordCount: Int64
    public var byteSize: Int64
    /// CRC64NVME of the object's bytes as stored, base64 of its 8 big-endian bytes: the full-object
    /// checksum S3 keeps with it too, whatever the parts it was uploaded in (version 3 on).
    public var crc64nvme: String?
    /// SHA-256 of the object's bytes as stored, lowercase hex (versions 1 and 2).
    public var sha256: String?
    /// The ETag the store gave the upload (version 3 on). S3 gives an object another one whenever its
    /// bytes change, so a listing that shows this ETag shows the object ktape wrote.
    public var etag: String?
    /// Keys of companion objects (`.keys.json`, `.headers.json`), if any.
    public var companionKeys: [String]
    /// The size, CRC64NVME and ETag of each companion, in `companionKeys`' order; absent without
    /// companions and in manifests written before this field.
    public var companionChecksums: [CompanionChecksum]?
    /// The oldest and newest record timestamps in the object (epoch ms); absent in manifests of ktape
    /// before prune, and for records without a timestamp. Prune and time-filtered restores use them
    /// to decide about an object without reading it.
    public var minTimestamp: Int64?
    public var maxTimestamp: Int64?

    /// Widens `minTimestamp`...`maxTimestamp` by one record's timestamp, as the backup that writes
    /// them and the verify that checks them both do: a negative one is a record without a time.
    public static func widen(_ min: inout Int64?, _ max: inout Int64?, by timestamp: Int64) {
        guard timestamp >= 0 else { return }
        min = Swift.min(min ?? .max, timestamp)
        max = Swift.max(max ?? .min, timestamp)
    }

    /// A span defaults to exactly the records' offsets.
    public init(
        key: String, topic: String, partition: Int32, firstOffset: Int64, lastOffset: Int64,
        spanStart: Int64? = nil, spanEnd: Int64? = nil, recordCount: Int64, byteSize: Int64,
        crc64nvme: String? = nil, sha256: String? = nil, etag: String? = nil, companionKeys: [String] = [],
        companionChecksums: [CompanionChecksum]? = nil, minTimestamp: Int64? = nil, maxTimestamp: Int64? = nil
    ) {
        self.key = key
        self.topic = topic
        self.partition = partition
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.spanStart = spanStart ?? firstOffset
        self.spanEnd = spanEnd ?? lastOffset + 1
        self.recordCount = recordCount
        self.byteSize = byteSize
        self.crc64nvme = crc64nvme
        self.sha256 = sha256
        self.etag = etag
        self.companionKeys = companionKeys
        self.companionChecksums = companionChecksums
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
    }
}

extension ManifestObject {
    /// The recorded size and checksum of companion `key`, when the manifest has them for every companion.
    public func companionChecksum(of key: String) -> CompanionChecksum? {
        guard let checksums = companionChecksums, checksums.count == companionKeys.count,
            let index = companionKeys.firstIndex(of: key)
        else { return nil }
        return checksums[index]
    }
}

/// A companion object's size and checksum as stored, as a data object's are in its own fields.
public struct CompanionChecksum: Codable, Equatable, Sendable {
    public var byteSize: Int64
    /// Base64 of the CRC64NVME's 8 big-endian bytes, as `ManifestObject.crc64nvme`.
    public var crc64nvme: String
    /// The ETag the store gave the upload, as `ManifestObject.etag` (optional).
    public var etag: String?

    public init(byteSize: Int64, crc64nvme: String, etag: String? = nil) {
        self.byteSize = byteSize
        self.crc64nvme = crc64nvme
        self.etag = etag
    }
}

/// A consumer group's committed offset on one partition when the run started.
public struct ManifestGroupOffset: Codable, Equatable, Sendable {
    public var group: String
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var metadata: String?

    public init(group: String, topic: String, partition: Int32, offset: Int64, metadata: String? = nil) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
    }
}

/// A consumer group's offset on one partition, by its names: what a removal names.
public struct ManifestGroupPartition: Codable, Hashable, Comparable, Sendable {
    public var group: String
    public var topic: String
    public var partition: Int32

    public init(group: String, topic: String, partition: Int32) {
        self.group = group
        self.topic = topic
        self.partition = partition
    }

    public init(_ offset: ManifestGroupOffset) {
        self.init(group: offset.group, topic: offset.topic, partition: offset.partition)
    }

    public static func < (lhs: ManifestGroupPartition, rhs: ManifestGroupPartition) -> Bool {
        (lhs.group, lhs.topic, lhs.partition) < (rhs.group, rhs.topic, rhs.partition)
    }
}
