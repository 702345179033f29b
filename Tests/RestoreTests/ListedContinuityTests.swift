import Failures
import Foundation
import Kafka
import KtapeTestSupport
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
        // The objects are at fault, not the moment: a rerun meets them again.
        #expect(error?.isInvalidInput == true)
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.map(\.value) == ["1", "2", "3"].map { Array($0.utf8) })
    }

    /// Two objects starting at the same offset (two zero paddings, gzip beside plain, a sink that wrote
    /// the offsets again into another folder) hold the same records: refused in the plan, before
    /// anything is produced, and by the dry run too.
    @Test(arguments: [
        ["topics/t/partition=0/t+0+0.json", "topics/t/partition=0/t+0+0000000000.json"],
        ["topics/t/partition=0/t+0+0000000000.json", "topics/t/partition=0/t+0+0000000000.json.gz"],
        ["topics/t/hour=13/t+0+0000000000.json", "topics/t/hour=14/t+0+0000000000.json"]
    ])
    func objectsStartingAtTheSameOffsetAreRefusedInThePlan(_ keys: [String]) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let store = MemoryStore()
        for key in keys {
            try await store.put(key, body: key.hasSuffix(".gz") ? try gzipped(Array("1\n2\n".utf8)) : Array("1\n2\n".utf8))
        }
        try cluster.createTopic("t", partitions: 1)
        var options = mockOptions(cluster)
        options.dryRun = true
        let plan = try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        #expect(plan.summary.problems.count == 1)
        #expect(plan.summary.problems.first?.contains("both start at offset 0, so they hold the same records") == true)
        options.dryRun = false
        let error = await #expect(throws: RunFailure.self) {
            try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run().summary.line
        }
        #expect(error?.isInvalidInput == true)
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? [] == [])
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
