import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Retention deleting offsets after the plan was made: the reader's offset-out-of-range error is
/// turned into a recorded gap and reading continues at the new log start.
@Suite struct RetentionRaceTests {
    @Test func offsetsDeletedAfterPlanningBecomeAGapAndReadingContinues() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("race", partitions: 1)
        try fixture.produce(
            (0..<36).map { n in
                KafkaProducerRecord(
                    topic: topic, partition: 0, key: nil, value: Array(repeating: 0x61, count: 256 * 1024),
                    timestamp: 1_700_000_000_000 + Int64(n))
            })
        let partition = TopicPartition(topic: topic, partition: 0)
        let admin = try KafkaAdmin(config: fixture.kafka)
        let low = try admin.watermarks(partition).low
        try #require(low > 0, "the mock kept everything; produce more")

        // A plan made before retention moved the log start: read from 0.
        let store = MemoryStore()
        let request = try fixture.request(store: store, topics: [topic])
        let plan = PartitionPlan(partition: TopicPartition(topic, 0), accountedFrom: 0, readFrom: 0, end: 36, gaps: [])
        // nonisolated(unsafe): the read thread alone uses the writer until it returns.
        nonisolated(unsafe) let writer = PartitionWriter(
            plan: plan,
            settings: ObjectSettings(
                settings: request.settings, store: store,
                layout: fixture.layout, options: PutOptions()))
        let objects = try await DedicatedThread.run(name: "test-read") { () -> [ManifestObject] in
            let loop = ReadLoop(request: request, writers: [writer], reader: try KafkaPartitionReader(config: request.kafka), admin: admin)
            try loop.run()
            return loop.uploads.completed
        }
        #expect(writer.gaps == [OffsetGap(start: 0, end: low, reason: .retention)])
        #expect(writer.records == 36 - low)
        let covered = writer.manifestPartition
        #expect(covered.range == OffsetRange(0, 36))
        #expect(
            PartitionCoverage.problems(topic: topic, partition: 0, covered: [covered.range], objects: objects, gaps: covered.gaps).isEmpty)
        #expect(WarningLog.shared.lines(containing: "topic \(topic) partition 0").count == 1)
    }
}
