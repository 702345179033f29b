import Foundation
import Layout
import JobSpec

/// What a run did, for the summary line on stdout and `--summary-json`.
public struct BackupSummary: Codable, Sendable, Equatable {
    public var runId: String
    public var job: String
    public var shard: String
    public var topics: Int
    public var partitions: Int
    public var objects: Int
    public var records: Int64
    /// Bytes stored (after compression), companions included.
    public var bytes: Int64
    /// Records left out by `on-invalid-json: skip`.
    public var skippedRecords: Int64
    /// Retention gaps found (data deleted before it was read), and the offsets they cover.
    public var retentionGaps: Int
    public var lostOffsets: Int64
    public var seconds: Double
    /// Offsets between the checkpoint and the end offsets seen at start: how far behind the run began.
    public var offsetsBehindAtStart: Int64 = 0
    /// The manifest written, nil when the run found no new offsets and nothing else changed.
    public var manifestKey: String?
    /// The run found no new offsets but wrote a manifest for what changed: a topic's partition count
    /// or configs, a group's committed offsets, or where partitions found empty stand.
    public var savedChangesOnly = false
    /// Consumer-group offsets saved in the manifest (group, partition pairs): those that changed
    /// since the runs before saved them.
    public var groupOffsets = 0
    /// Saved group offsets found gone (a group deleted, its offsets expired or deleted): the manifest
    /// names them, so a restore of this run or a later one does not commit them.
    public var removedGroupOffsets = 0
    /// Why no group offsets were saved though they were to be (the groups could not be listed); nil otherwise.
    public var groupOffsetsNotSaved: String?
    /// Topics the store's runs followed that topics-regex matches but the cluster no longer lists
    /// (the run warned of them); nil when none.
    public var missingTopics: [String]?

    /// `backup <run>: 2 topics, 6 partitions, 12 objects, 10000 records, 1.2 MiB, 0 gaps, 3.1 s`.
    public var line: String {
        var text =
            "backup \(runId): \(topics) topics, \(partitions) partitions, \(objects) objects, \(records) records, "
            + "\(ByteCount.rounded(bytes)), \(retentionGaps) gaps"
        if skippedRecords > 0 { text += ", \(skippedRecords) skipped" }
        if groupOffsetsNotSaved != nil { text += ", group offsets not saved" }
        text += String(format: ", %.1f s", seconds)
        if manifestKey == nil {
            text += " (no new data: nothing written)"
        } else if savedChangesOnly {
            text += " (no new records: changed topics, group offsets or empty partitions' offsets saved)"
        }
        return text
    }

    /// JSON for schedulers, keys sorted.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
