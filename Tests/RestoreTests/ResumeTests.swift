import Foundation
import Kafka
import Layout
import Restore
import Testing

/// A restore stopped at any moment and run again ends with every record exactly once, in order,
/// without headers added to the records.
@Suite struct ResumeTests {
    func source() -> [Int32: [Layout.KafkaRecord]] {
        [0: awkwardRecords(count: 40, partition: 0), 1: awkwardRecords(count: 33, partition: 1), 2: awkwardRecords(count: 27, partition: 2)]
    }

    /// `stateInterval` 0 saves state after every batch; a huge one saves only the starting point, so
    /// the rerun must count the records already delivered from the target itself.
    @Test(arguments: [0.0, 10_000.0], [7, 45])
    func killedRestoreResumesWithoutDuplicates(stateInterval: Double, stopAfter: Int) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = source()
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 3], perObject: 5)
        try cluster.createTopic("events", partitions: 3)

        var killed = mockOptions(cluster)
        killed.stateInterval = stateInterval
        killed.stopAfterDeliveries = stopAfter
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed).summary.line }
        let partial = try readTarget(cluster.config, topic: "events", partitions: 3).values.reduce(0) { $0 + $1.count }
        #expect(partial == stopAfter)

        let resumed = try await restore(fixture, mockOptions(cluster))
        #expect(resumed.summary.alreadyPresentRecords == Int64(partial))
        #expect(resumed.summary.producedRecords == Int64(100 - partial))
        let got = try readTarget(cluster.config, topic: "events", partitions: 3)
        for p: Int32 in 0..<3 {
            #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)")
        }
    }

    /// First states are written a group of partitions at a time while earlier partitions are produced,
    /// and final ones in the background as partitions complete: after the run, every partition's
    /// state (more than one group of them) says all its records were delivered, and a rerun adds nothing.
    @Test func everyPartitionEndsWithItsFinalState() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let partitions: Int32 = 70
        var records: [Int32: [Layout.KafkaRecord]] = [:]
        for p in 0..<partitions { records[p] = awkwardRecords(count: Int(p % 4) + 1, partition: p) }
        try await fixture.writeRun(["events": records], partitionCounts: ["events": partitions], perObject: 2)
        try cluster.createTopic("events", partitions: partitions)
        let options = mockOptions(cluster)
        let first = try await restore(fixture, options)
        #expect(first.summary.producedRecords == Int64(records.values.reduce(0) { $0 + $1.count }))
        for p in 0..<partitions {
            let key = fixture.layout.restoreStateKey(targetCluster: options.targetCluster, topic: "events", partition: p)
            let state = try #require(try JSONSerialization.jsonObject(with: Data(try await fixture.store.get(key))) as? [String: Any])
            let count = records[p]?.count ?? 0
            #expect(state["deliveredRecords"] as? Int == count, "partition \(p)")
            #expect(state["plannedRecords"] as? Int == count, "partition \(p)")
            #expect(state["nextSourceOffset"] as? Int == Int((records[p]?.last?.offset ?? -1) + 1), "partition \(p)")
        }
        let again = try await restore(fixture, options)
        #expect(again.summary.producedRecords == 0)
        #expect(again.summary.alreadyPresentRecords == first.summary.producedRecords)
    }

    /// Records another producer put into the target after the restore began are not mistaken for
    /// the restore's own: the rerun stops, naming the partition.
    @Test func foreignRecordInTargetIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        try await fixture.writeRun(["events": [0: awkwardRecords(count: 30, partition: 0)]], partitionCounts: ["events": 1], perObject: 5)
        try cluster.createTopic("events", partitions: 1)
        var killed = mockOptions(cluster)
        killed.stopAfterDeliveries = 6
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed).summary.line }
        let producer = try KafkaProducer(config: cluster.config, onDelivery: { _ in })
        try producer.produce(KafkaProducerRecord(topic: "events", partition: 0, key: Array("intruder".utf8), value: []), id: 0)
        try producer.flush(timeoutMilliseconds: 10_000)

        let error = await #expect(throws: RestoreError.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.message.contains("events/0") == true)
        #expect(error?.message.contains("another producer") == true)
    }

    /// Resume state written under other settings (here: another time range) is not resumed.
    @Test func stateFromOtherSettingsIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 10, partition: 0)
        try await fixture.writeRun(["events": [0: records]], partitionCounts: ["events": 1])
        try cluster.createTopic("events", partitions: 1)
        try await restore(fixture, mockOptions(cluster))
        var other = mockOptions(cluster)
        other.fromTime = records[3].timestamp
        let error = await #expect(throws: RestoreError.self) { try await restore(fixture, other).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("other settings") == true)
        #expect(try readTarget(cluster.config, topic: "events", partitions: 1)[0]?.count == 10)
    }
}
