import Foundation
import Kafka
import Layout
import Testing
import RecordFormats
@testable import Restore

/// Restored records keep their timestamps, and a target's retention.ms judges them by those: records
/// older than it may be deleted by the broker soon after they land. The restore says so before
/// producing, from the manifests' record times; it said nothing.
struct RetentionCheckTests {
    /// 20 records a minute apart from 2023-11-14T22:13:20Z, in objects of 5.
    func plan() async throws -> TopicPlan {
        let fixture = StoreFixture()
        let records = (0..<20).map { i in
            RecordFormats.KafkaRecord(
                offset: Int64(i), timestamp: 1_700_000_000_000 + Int64(i) * 60_000, timestampType: .createTime,
                key: Array("k\(i)".utf8), value: Array("v\(i)".utf8))
        }
        try await fixture.writeRun(["orders": [0: records]], partitionCounts: ["orders": 1], perObject: 5)
        let catalog = try await SourceCatalog.load(store: fixture.store, layout: fixture.layout, asOf: nil, topics: nil)
        let plan = try RestorePlanner.plan(catalog, options: RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1")))
        return try #require(plan.topics.first)
    }

    @Test func recordsOlderThanTheTargetsRetentionAreNamed() async throws {
        let topic = try await plan()
        // Now is 10 minutes after the last record; a retention of 15 minutes keeps the last 15.
        let now: Int64 = 1_700_000_000_000 + 19 * 60_000 + 10 * 60_000
        let line = RetentionCheck.expiring(topic, retentionMs: 15 * 60_000, cleanupPolicy: "delete", now: now, from: nil)
        #expect(
            line
                == "target topic orders keeps records for retention.ms=900000, and restored records keep their timestamps: those before 2023-11-14T22:27:20.000Z (the oldest from 2023-11-14T22:13:20.000Z, 10 of them in objects wholly older) may be deleted by the broker soon after they land; raise its retention.ms first, or restore with --from-time 2023-11-14T22:27:20.000Z"
        )
        // Within the retention, unlimited, unknown or compacted only: nothing to say.
        #expect(RetentionCheck.expiring(topic, retentionMs: 60 * 60_000, cleanupPolicy: "delete", now: now, from: nil) == nil)
        #expect(RetentionCheck.expiring(topic, retentionMs: -1, cleanupPolicy: "delete", now: now, from: nil) == nil)
        #expect(RetentionCheck.expiring(topic, retentionMs: nil, cleanupPolicy: "delete", now: now, from: nil) == nil)
        #expect(RetentionCheck.expiring(topic, retentionMs: 15 * 60_000, cleanupPolicy: "compact", now: now, from: nil) == nil)
        #expect(RetentionCheck.expiring(topic, retentionMs: 15 * 60_000, cleanupPolicy: "compact,delete", now: now, from: nil) != nil)
        // --from-time past the cutoff leaves nothing too old.
        let cutoff = now - 15 * 60_000
        #expect(RetentionCheck.expiring(topic, retentionMs: 15 * 60_000, cleanupPolicy: "delete", now: now, from: cutoff) == nil)
        // A time range cutting through objects gives no object count; one ending before the cutoff
        // has nothing to restore from the cutoff on, so only the retention is named.
        let ranged = RetentionCheck.expiring(
            topic, retentionMs: 15 * 60_000, cleanupPolicy: "delete", now: now, from: nil, to: 1_700_000_000_000 + 7 * 60_000)
        #expect(
            ranged?.contains("objects wholly older") == false && ranged?.hasSuffix("raise its retention.ms first") == true,
            "\(ranged ?? "")")
        // Objects the target holds already (below the next offset) are not judged.
        #expect(
            RetentionCheck.expiring(
                topic, retentionMs: 15 * 60_000, cleanupPolicy: "delete", now: now, from: nil, restoredBelow: [0: 10])?.contains(
                    "the oldest from 2023-11-14T22:23:20.000Z") == true)
    }
}
