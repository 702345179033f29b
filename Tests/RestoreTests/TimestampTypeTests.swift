import Foundation
import Kafka
import Layout
import Restore
import Testing
import RecordFormats

/// LogAppendTime source records come back with their original timestamps, as CreateTime.
@Suite struct TimestampTypeTests {
    @Test func logAppendTimeIsRestoredAsCreateTime() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 4, partition: 0).map { record -> RecordFormats.KafkaRecord in
            var r = record
            r.timestampType = .logAppendTime
            return r
        }
        try await fixture.writeRun(["logs": [0: records]], partitionCounts: ["logs": 1], timestampTypes: ["logs": .logAppendTime])
        try cluster.createTopic("logs", partitions: 1)
        let result = try await restore(fixture, mockOptions(cluster))
        #expect(result.summary.warnings.contains { $0.contains("logs used LogAppendTime") })
        let got = try readTarget(cluster.config, topic: "logs", partitions: 1)[0] ?? []
        #expect(got.map(\.timestamp) == records.map { KafkaTimestamp(milliseconds: $0.timestamp, kind: .createTime) })
    }

    /// A topic recorded as CreateTime (a broker-wide LogAppendTime, or a config changed since) whose
    /// records say LogAppendTime: the warning comes from the records, once, in the run's summary.
    @Test func recordsSayingLogAppendTimeWarnWhateverTheTopicWasRecordedAs() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        var records: [Int32: [RecordFormats.KafkaRecord]] = [
            0: awkwardRecords(count: 4, partition: 0), 1: awkwardRecords(count: 5, partition: 1)
        ]
        records[1] = records[1]?.map { record in
            var r = record
            r.timestampType = .logAppendTime
            return r
        }
        try await fixture.writeRun(["audit": records], partitionCounts: ["audit": 2])
        try cluster.createTopic("audit", partitions: 2)
        let result = try await restore(fixture, mockOptions(cluster))
        let warnings = result.summary.warnings.filter { $0.contains("LogAppendTime") }
        #expect(
            warnings == [
                "topic audit: its records carry LogAppendTime timestamps (set by the source broker); they are restored with those times, as CreateTime"
            ])
        let got = try readTarget(cluster.config, topic: "audit", partitions: 2)[1] ?? []
        #expect(got.map(\.timestamp) == (records[1] ?? []).map { KafkaTimestamp(milliseconds: $0.timestamp, kind: .createTime) })
    }
}
