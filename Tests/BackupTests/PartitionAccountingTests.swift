import Foundation
import Testing
@testable import Backup
import Layout
import ObjectStore
import JobSpec

/// Every offset of a partition's range is an object's span or a gap, even without records.
@Suite struct PartitionAccountingTests {
    func writer(_ plan: PartitionPlan) throws -> PartitionWriter {
        let settings = try BackupFixture.offlineSettings()
        return PartitionWriter(
            plan: plan,
            settings: ObjectSettings(
                settings: settings, store: MemoryStore(),
                layout: StoreLayout(), options: PutOptions()))
    }

    @Test func offsetsWithoutRecordsUpToTheEndAreANoRecordsGap() throws {
        // An end offset past the last record: transaction markers, or records compacted away.
        let writer = try writer(PartitionPlan.make(TopicPartition("t", 0), checkpoint: 5, low: 0, high: 8))
        try writer.reachedEnd(nextOffset: 7, uploads: UploadQueue(limit: 1))
        #expect(!writer.isDone)
        try writer.reachedEnd(nextOffset: 8, uploads: UploadQueue(limit: 1))
        #expect(writer.isDone)
        #expect(
            writer.manifestPartition
                == ManifestPartition(
                    topic: "t", partition: 0, startOffset: 5, endOffset: 8,
                    endOffsetAtStart: 8, gaps: [OffsetGap(start: 5, end: 8, reason: .noRecords)]))
    }

    @Test func planRecordsRetentionBelowTheLogStartAndReadsNothingPastTheEnd() {
        let gap = PartitionPlan.make(TopicPartition("t", 1), checkpoint: 3, low: 10, high: 20)
        #expect(gap.accountedFrom == 3 && gap.readFrom == 10 && gap.end == 20)
        #expect(gap.gaps == [OffsetGap(start: 3, end: 10, reason: .retention)])

        let first = PartitionPlan.make(TopicPartition("t", 1), checkpoint: nil, low: 10, high: 20)
        #expect(first.accountedFrom == 10 && first.gaps.isEmpty && first.hasWork)

        let recreated = PartitionPlan.make(TopicPartition("t", 1), checkpoint: 50, low: 0, high: 20)
        #expect(!recreated.hasWork && recreated.end == 50)
    }

    /// The record before the checkpoint is read again only where it can be: with new records, and
    /// with none (a topic created again may end at the checkpoint), when nothing else is read.
    @Test func theRecordBeforeTheCheckpointIsComparedOnlyWhereTheLogHoldsIt() {
        let tp = TopicPartition("t", 0)
        let checked = PartitionPlan.make(tp, checkpoint: 5, low: 0, high: 8, lastRecord: "c")
        #expect(checked.lastRecordCheck == "c" && checked.startFrom == 4 && checked.readFrom == 5)
        #expect(PartitionPlan.make(tp, checkpoint: 5, low: 0, high: 8).startFrom == 5)
        let idle = PartitionPlan.make(tp, checkpoint: 5, low: 0, high: 5, lastRecord: "c")
        #expect(idle.lastRecordCheck == "c" && idle.startFrom == 4 && !idle.hasWork && idle.needsReading)
        #expect(!PartitionPlan.make(tp, checkpoint: 5, low: 0, high: 5).needsReading)
        // A run that ended on transaction markers recorded where its last record was.
        let marked = PartitionPlan.make(tp, checkpoint: 5, low: 0, high: 8, lastRecord: "c", lastRecordOffset: 3)
        #expect(marked.lastRecordCheck == "c" && marked.checkOffset == 3 && marked.startFrom == 3 && marked.readFrom == 5)
        #expect(PartitionPlan.make(tp, checkpoint: 5, low: 4, high: 8, lastRecord: "c", lastRecordOffset: 3).lastRecordCheck == nil)
        #expect(PartitionPlan.make(tp, checkpoint: 5, low: 0, high: 8, lastRecord: "c", lastRecordOffset: 5).lastRecordCheck == nil)
        // The record itself deleted by retention, a retention gap, or no checkpoint: nothing to compare.
        for plan in [
            PartitionPlan.make(tp, checkpoint: 5, low: 5, high: 8, lastRecord: "c"),
            PartitionPlan.make(tp, checkpoint: 5, low: 7, high: 9, lastRecord: "c"),
            PartitionPlan.make(tp, checkpoint: nil, low: 0, high: 9, lastRecord: "c")
        ] {
            #expect(plan.lastRecordCheck == nil && plan.startFrom == plan.readFrom, "\(plan)")
        }
    }

    /// Retention that takes the record to compare, or more, while the run reads: no gap before the
    /// checkpoint, and a gap from it for what was lost after it.
    @Test(arguments: [Int64(5), 7])
    func retentionTakingTheComparedRecordLeavesNoGapBeforeTheCheckpoint(logStart: Int64) throws {
        let gaps = logStart > 5 ? [OffsetGap(start: 5, end: logStart, reason: .retention)] : []
        let writer = try writer(PartitionPlan.make(TopicPartition("t", 0), checkpoint: 5, low: 0, high: 9, lastRecord: "c"))
        #expect(writer.next == 4)
        let gap = try writer.retentionMovedStart(to: logStart, uploads: UploadQueue(limit: 1))
        #expect(gap == gaps.first)
        #expect(writer.next == max(5, logStart))
        #expect(writer.gaps == gaps)
    }
}

extension BackupFixture {
    /// Default backup settings without a cluster.
    static func offlineSettings() throws -> BackupSettings {
        let document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar("127.0.0.1:1"), "store": .scalar("/unused"),
            "topics": .list(["t"])
        ]
        return try #require(try JobSpec(document: .flags(document), command: .backup).backup)
    }
}
