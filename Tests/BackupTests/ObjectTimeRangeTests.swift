import Foundation
import KtapeTestSupport
import Layout
import ObjectStore
import Testing
@testable import Backup

/// Each object's oldest and newest record time goes into the manifest (prune and time-filtered
/// restores decide about an object from them without reading it).
@Suite struct ObjectTimeRangeTests {
    @Test func manifestsRecordEachObjectsTimeRange() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("times", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 7)
        let store = MemoryStore()
        _ = try await fixture.backup(store: store, topics: [topic], ["flush-size": "3"])
        let objects = try await StoreContents.manifests(store).flatMap(\.objects).sorted { $0.firstOffset < $1.firstOffset }
        // produceJSON stamps record n with 1_700_000_000_000 + n.
        #expect(objects.map(\.minTimestamp) == [1_700_000_000_000, 1_700_000_000_003, 1_700_000_000_006])
        #expect(objects.map(\.maxTimestamp) == [1_700_000_000_002, 1_700_000_000_005, 1_700_000_000_006])
    }
}
