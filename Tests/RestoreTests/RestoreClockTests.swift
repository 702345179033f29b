import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing

/// A restore reads time only from `RestoreOptions.clock`, as a backup does from its request's.
@Suite struct RestoreClockTests {
    @Test func resumeStateTakesItsTimesFromTheInjectedClock() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture(store: MemoryStore(name: "memory://fixture"))
        try await fixture.writeRun(
            ["events": [0: awkwardRecords(count: 20, partition: 0), 1: awkwardRecords(count: 9, partition: 1)]],
            partitionCounts: ["events": 2], perObject: 5)
        try cluster.createTopic("events", partitions: 2)
        // Ten years ahead: no real clock says so.
        let shift: TimeInterval = 10 * 365 * 86_400
        var options = mockOptions(cluster)
        options.stateInterval = 0
        options.clock = { Date().addingTimeInterval(shift) }
        let before = Date().addingTimeInterval(shift)

        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 29)
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "events")
        let document = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        #expect(document.updatedAt > before)
        #expect(document.partitions.count == 2)
        #expect(document.partitions.allSatisfy { $0.updatedAt > before })
    }
}
