import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import Restore
import Testing

/// Continuity of a store without manifests is checked while reading.
@Suite struct ListedContinuityTests {
    @Test func overlappingObjectIsRefusedBeforeItsRecords() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = MemoryStore()
        try await store.put("topics/t/partition=0/t+0+0000000000.json", body: Array("1\n2\n3\n".utf8))
        try await store.put("topics/t/partition=0/t+0+0000000002.json", body: Array("3\n4\n".utf8))
        try cluster.createTopic("t", partitions: 1)
        let engine = RestoreEngine(store: store, layout: StoreLayout(), options: mockOptions(cluster))
        let error = await #expect(throws: RunFailure.self) { try await engine.run().summary.line }
        #expect(error?.message.contains("t+0+0000000002.json starts at offset 2, inside the object before it") == true)
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.map(\.value) == ["1", "2", "3"].map { Array($0.utf8) })
    }

    @Test func holeIsReportedAndRestoreGoesOn() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = MemoryStore()
        try await store.put("topics/t/partition=0/t+0+0000000000.json", body: Array("1\n2\n".utf8))
        try await store.put("topics/t/partition=0/t+0+0000000005.json", body: Array("6\n".utf8))
        try cluster.createTopic("t", partitions: 1)
        let result = try await RestoreEngine(store: store, layout: StoreLayout(), options: mockOptions(cluster)).run()
        #expect(result.summary.producedRecords == 3)
        #expect(result.summary.warnings.contains { $0.contains("offsets 2…4 are in no object") })
    }
}
