import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// Restore from a bucket of moto's S3 server (signatures checked, `scripts/s3-server`), on loopback,
/// with its resume state in that bucket.
@Suite struct S3RestoreTests {
    /// A killed restore leaves one state document in the bucket and resumes from it exactly once; a
    /// bucket holding version 1 documents instead (an older ktape's) resumes from those, and they
    /// are removed (one DeleteObjects request) once the topic's document is written.
    @Test func resumeStateInTheBucket() async throws {
        let server = try await S3TestServer.shared.value
        let fixture = StoreFixture(store: try await server.freshStore())
        let cluster = try KafkaMockCluster(brokers: 1)
        let records: [Int32: [RecordFormats.KafkaRecord]] = [
            0: awkwardRecords(count: 30, partition: 0), 1: awkwardRecords(count: 20, partition: 1)
        ]
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 2], perObject: 4)
        try cluster.createTopic("events", partitions: 2)
        let options = mockOptions(cluster)
        let target = try targetName(cluster.config)
        let key = fixture.layout.restoreStateKey(targetCluster: target, topic: "events")
        let folder = fixture.layout.restoreStateFolder(targetCluster: target)

        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 12).summary.line }
        #expect(try await fixture.store.listAll(prefix: folder).map(\.key) == [key])
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, options, killedAfter: 9).summary.line }
        let oldKeys = try await fixture.rewriteAsVersion1(targetCluster: target, topic: "events")
        #expect(Set(try await fixture.store.listAll(prefix: folder).map(\.key)) == Set(oldKeys))

        let resumed = try await restore(fixture, options)
        #expect(resumed.summary.alreadyPresentRecords == 21)
        #expect(resumed.summary.producedRecords == 29)
        let got = try readTarget(cluster.config, topic: "events", partitions: 2)
        for p: Int32 in 0..<2 {
            #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)")
        }
        #expect(try await fixture.store.listAll(prefix: folder).map(\.key) == [key])
        let progress = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        #expect(progress.partitions.map(\.deliveredRecords) == [30, 20])
        #expect(try await restore(fixture, options).summary.producedRecords == 0)
    }
}
