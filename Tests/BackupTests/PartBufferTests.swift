import Foundation
import KtapeTestSupport
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// A run's part buffers share one limit: a slot per stream of each open object plus one per
/// upload slot, so memory is bounded by the settings, never by the topic.
@Suite struct PartBufferTests {
    @Test func theLimitHasASlotPerOpenStreamPlusTheUploadSlots() throws {
        let fixture = try BackupFixture(brokers: 1)
        #expect(ObjectSettings.partBuffers(try fixture.settings(topics: ["t"])) == 8 + 4)
        #expect(ObjectSettings.partBuffers(try fixture.settings(topics: ["t"], ["max-open-objects": "3", "concurrency": "2"])) == 5)
        let companions = try fixture.settings(
            topics: ["t"],
            [
                "format": "confluent-json", "store-keys": "true", "store-headers": "true",
                "max-open-objects": "3", "concurrency": "2"
            ])
        #expect(ObjectSettings.partBuffers(companions) == 3 * 3 + 2)
    }

    /// The tightest limit (one open object with two companions, one upload slot) still finishes: the
    /// read thread never waits for a slot only it could give back.
    @Test func theTightestLimitNeverStallsTheRun() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("pooled", partitions: 3)
        try fixture.produceJSON(topic: topic, partitions: 3, count: 90)
        let store = MemoryStore()
        let summary = try await within(300) {
            try await fixture.backup(
                store: store, topics: [topic],
                [
                    "format": "confluent-json", "store-keys": "true", "store-headers": "true",
                    "max-open-objects": "1", "concurrency": "1", "flush-size": "4"
                ])
        }
        #expect(summary.records == 90)
        let manifest = try #require(try await StoreContents.manifests(store).first)
        #expect(manifest.objects.count == 24)  // 30 records per partition in objects of 4
        #expect(manifest.objects.allSatisfy { $0.companionKeys.count == 2 })
        #expect(manifest.continuityProblems().isEmpty)
    }
}
