import Failures
import Foundation
import Kafka
import Layout
import Restore
import Testing

/// `--as-of RUN`: the store as it was after that backup run.
@Suite struct AsOfTests {
    /// A store whose only manifests are placeholders of killed runs holds no finished backup: said
    /// so, rather than "the store holds none of them (it holds: )".
    @Test func placeholdersAloneAreNoBackupToRestore() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let killed = RunID(rawValue: "20261124T120000.000Z-all-0000dead")
        let placeholder = RunManifest.placeholder(
            for: killed, takenOverBy: RunID(rawValue: "20261124T120001.000Z-all-0000beef"), job: "test", at: Date(),
            store: ManifestStoreSettings(topicsDir: fixture.layout.topicsDir, format: .envelope, compression: .none),
            configHash: "h")
        try await fixture.store.put(
            fixture.layout.runManifestKey(killed), body: Array(try placeholder.encodedBytes(layout: fixture.layout)))
        try cluster.createTopic("t", partitions: 1)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("holds no finished backup: its only manifests are placeholders") == true, "\(error?.message ?? "")")

        // While the rerun that wrote the placeholder is writing, a rerun of the restore is cured: exit 1.
        let now = Date()
        let rerun = LeaseTable.Lease(
            runId: "20261124T120001.000Z-all-0000beef", command: "backup", job: "test", holder: "another-host pid 7",
            claims: [LeaseTable.Claim(topic: "t")], acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        try await fixture.store.put(fixture.layout.storeLockKey, body: Array(try LeaseTable(leases: [rerun]).encoded()))
        let writing = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(writing?.isInvalidInput == false)
        #expect(writing?.message.contains("is writing its first backup") == true, "\(writing?.message ?? "")")

        // So is a store whose first backup has uploaded nothing yet.
        let empty = StoreFixture()
        try await empty.store.put(empty.layout.storeLockKey, body: Array(try LeaseTable(leases: [rerun]).encoded()))
        let nothingYet = await #expect(throws: RunFailure.self) { try await restore(empty, mockOptions(cluster)).summary.line }
        #expect(nothingYet?.isInvalidInput == false)
        #expect(nothingYet?.message.contains("is writing its first backup") == true, "\(nothingYet?.message ?? "")")
    }

    @Test func restoresOnlyRunsUpToTheOneNamed() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let first = awkwardRecords(count: 5, partition: 0)
        let second = awkwardRecords(count: 4, partition: 0, firstOffset: 5, salt: "later")
        let firstRun = try await fixture.writeRun(["t": [0: first]], partitionCounts: ["t": 1])
        try await fixture.writeRun(["t": [0: second]], partitionCounts: ["t": 1])
        try cluster.createTopic("t", partitions: 1)

        var options = mockOptions(cluster)
        options.asOf = firstRun.runId
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 5)
        #expect(differences(expected: first, got: try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []) == [])

        options.asOf = RunID(rawValue: "20000101T000000.000Z-all-00000000")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.hasPrefix("--as-of 20000101T000000.000Z-all-00000000: no backup run has that id") == true)
        #expect(
            error?.message.hasSuffix("of the store's 2 runs the nearest are \(firstRun.runId) after it (ktape ls lists them all)") == true)
    }
}
