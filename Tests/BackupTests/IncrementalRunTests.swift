import Failures
import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Each run continues where the manifests say the last one stopped.
@Suite struct IncrementalRunTests {
    @Test func secondRunWritesOnlyNewRecordsAndAnEmptyRunWritesNothing() async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("events", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 10)
        let store = MemoryStore()
        let first = try await fixture.backup(store: store, topics: [topic], ["flush-size": "4"])
        #expect(first.records == 10)
        let afterFirst = try await StoreContents.dataKeys(store)

        try fixture.produceJSON(topic: topic, partitions: 2, count: 6, from: 10)
        let second = try await fixture.backup(store: store, topics: [topic], ["flush-size": "4"])
        #expect(second.records == 6)
        let afterSecond = try await StoreContents.dataKeys(store)
        let added = Set(afterSecond).subtracting(afterFirst).sorted()
        #expect(added == (0..<2).map { "topics/\(topic)/partition=\($0)/\(topic)+\($0)+0000000005.ktape.json" })

        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.count == 2)
        #expect(manifests[1].previousRunId == manifests[0].runId)
        #expect(manifests[1].partitions.map(\.startOffset) == [5, 5])
        #expect(manifests.continuityProblems().isEmpty)
        // Every record once across both runs.
        var offsets: [Int32: [Int64]] = [:]
        for object in manifests.flatMap(\.objects) {
            offsets[object.partition, default: []] += try StoreContents.envelopeOffsets(try await store.get(object.key))
        }
        #expect(offsets.mapValues { $0.sorted() } == [0: Array(0..<8), 1: Array(0..<8)])

        let everything = try await StoreContents.snapshot(store, prefix: "")
        let third = try await fixture.backup(store: store, topics: [topic], ["flush-size": "4"])
        #expect(third.records == 0 && third.objects == 0)
        #expect(third.manifestKey == nil)
        #expect(try await StoreContents.snapshot(store, prefix: "") == everything)
    }

    @Test func changedFormatIsRefusedAsInvalidInput() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("hash", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 3)
        let store = MemoryStore()
        _ = try await fixture.backup(store: store, topics: [topic])
        let error = await #expect(throws: RunFailure.self) {
            try await fixture.backup(store: store, topics: [topic], ["compression": "gzip"])
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("config hash") == true)
        #expect(try await store.listAll(prefix: "_ktape/locks/").isEmpty)
    }
}
