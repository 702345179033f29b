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
