import Foundation
import Kafka
import Layout
import Restore
import Testing

/// LogAppendTime source records come back with their original timestamps, as CreateTime.
@Suite struct TimestampTypeTests {
    @Test func logAppendTimeIsRestoredAsCreateTime() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 4, partition: 0).map { record -> Layout.KafkaRecord in
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
}
