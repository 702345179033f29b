import Failures
import Layout

/// What this run will do with one partition: read `[readFrom, end)` where `end` is the end offset
/// (last stable offset under read_committed) seen at the start: the snapshot's target.
struct PartitionPlan: Sendable, Equatable {
    var partition: TopicPartition
    /// Where the run accounts from: the checkpoint, or the log start on a first run.
    var accountedFrom: Int64
    /// Where reading starts: `accountedFrom`, or the log start when retention deleted past it.
    var readFrom: Int64
    var end: Int64
    /// A retention gap found while planning (checkpoint below the log start).
    var gaps: [OffsetGap]
    /// The partition's end offset when it is below the checkpoint: not the log this store followed.
    var endBelowCheckpoint: Int64? = nil
    /// The stored checksum of the record at `checkOffset`, which this run reads again first and
    /// compares: the same log this store followed, not a topic of the same name made since.
    var lastRecordCheck: String? = nil
    /// Where that record is: `readFrom - 1`, or before it when the last run ended on transaction markers.
    var checkOffset: Int64 = 0

    /// No checkpoint: the run accounts from the log start.
    var fromLogStart = false

    var hasWork: Bool { readFrom < end }
    /// Records to back up, or the stored one to compare (a partition with no new records too: a topic
    /// created again and refilled to the same end has nothing new by its offsets).
    var needsReading: Bool { hasWork || lastRecordCheck != nil }
    /// Where the reader starts: the record to compare, else `readFrom`.
    var startFrom: Int64 { lastRecordCheck == nil ? readFrom : checkOffset }

    /// Why the run cannot go on when the record at `checkOffset` is not the one stored there.
    func lastRecordFailure() -> RunFailure {
        RunFailure.invalidInput(
            "topic \(partition.topic) partition \(partition.partition): its record at offset \(checkOffset) is not the one this store backed up there: the topic was deleted and created again (or the cluster replaced); back it up into another store prefix, or leave it out of this job"
        ).about(topic: partition.topic, partition: partition.partition)
    }

    /// Why the run cannot go on when the partition ends below the checkpoint; `others` more like it.
    func endBelowCheckpointFailure(others: Int = 0) -> RunFailure? {
        guard let end = endBelowCheckpoint else { return nil }
        let more = others > 0 ? " (and \(others) more partitions)" : ""
        return RunFailure.invalidInput(
            "topic \(partition.topic) partition \(partition.partition) ends at offset \(end), but this store already holds its records up to offset \(accountedFrom)\(more): the topic was deleted and created again (or the cluster replaced, or the log truncated); back it up into another store prefix, or leave it out of this job"
        ).about(topic: partition.topic, partition: partition.partition)
    }

    /// Plans from a checkpoint and the partition's watermarks; `lastRecord` is the checksum stored
    /// for the record at `lastRecordOffset` (by default `checkpoint - 1`), compared when the log
    /// still holds it and reaches the checkpoint.
    static func make(
        _ partition: TopicPartition, checkpoint: Int64?, low: Int64, high: Int64, lastRecord: String? = nil,
        lastRecordOffset: Int64? = nil
    ) -> PartitionPlan {
        let from = checkpoint ?? low
        var gaps: [OffsetGap] = []
        var readFrom = from
        if from < low {
            gaps.append(OffsetGap(start: from, end: min(low, max(from, high)), reason: .retention))
            readFrom = low
        }
        // A checkpoint past the end (a topic deleted and created again) reads nothing; the caller stops the run.
        let checkOffset = lastRecordOffset ?? from - 1
        let comparable = checkpoint != nil && readFrom == from && checkOffset >= low && checkOffset < from && high >= from
        return PartitionPlan(
            partition: partition, accountedFrom: from, readFrom: readFrom, end: max(high, from), gaps: gaps,
            endBelowCheckpoint: high < from ? high : nil, lastRecordCheck: comparable ? lastRecord : nil,
            checkOffset: comparable ? checkOffset : from - 1, fromLogStart: checkpoint == nil)
    }
}
