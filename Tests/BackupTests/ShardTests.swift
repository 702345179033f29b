import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// `shard i/n`: processes of one job share its partitions without writing the same object.
@Suite struct ShardTests {
    @Test func twoShardsWriteDisjointObjectsHoldingEveryRecordOnce() async throws {
        let fixture = try BackupFixture()
        let a = try fixture.topic("sharded-a", partitions: 3)
        let b = try fixture.topic("sharded-b", partitions: 2)
        try fixture.produceJSON(topic: a, partitions: 3, count: 30)
        try fixture.produceJSON(topic: b, partitions: 2, count: 20)
        let store = MemoryStore()

        async let zero = fixture.backup(store: store, topics: [a, b], ["shard": "0/2", "flush-size": "4"])
        async let one = fixture.backup(store: store, topics: [a, b], ["shard": "1/2", "flush-size": "4"])
        let (first, second) = try await (zero, one)
        #expect(first.partitions + second.partitions == 5)
        #expect(first.partitions == 3 && second.partitions == 2)
        #expect(first.records + second.records == 50)

        let manifests = try await StoreContents.manifests(store)
        #expect(Set(manifests.map(\.shard)) == ["0/2", "1/2"])
        let keys0 = Set(manifests.filter { $0.shard == "0/2" }.flatMap(\.objects).map(\.key))
        let keys1 = Set(manifests.filter { $0.shard == "1/2" }.flatMap(\.objects).map(\.key))
        #expect(keys0.isDisjoint(with: keys1))
        #expect(keys0.union(keys1) == Set(try await StoreContents.dataKeys(store)))

        var seen: [String: [Int64]] = [:]
        for object in manifests.flatMap(\.objects) {
            seen["\(object.topic)/\(object.partition)", default: []] += try StoreContents.envelopeOffsets(try await store.get(object.key))
        }
        #expect(seen.count == 5)
        #expect(seen.values.allSatisfy { $0.sorted() == Array(0..<10) })
        #expect(manifests.continuityProblems().isEmpty)
    }
}
