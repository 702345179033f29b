import Failures
import Foundation
import Kafka
import Layout
import Restore
import Testing

/// A record the producer refuses stops the restore with one line naming the partition and source
/// offset; what was confirmed is in the state, and a rerun that can send it finishes exactly once.
@Suite struct ProduceErrorTests {
    /// Producer settings a rerun cannot cure (one librdkafka refuses beside idempotence, a
    /// transactional id) stop the restore as invalid input (exit 2) before anything is produced.
    @Test(arguments: [("acks", "1"), ("transactional.id", "restore")])
    func producerSettingsARerunCannotCureAreInvalidInput(key: String, value: String) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        try await fixture.writeRun(["t": [0: awkwardRecords(count: 4, partition: 0)]], partitionCounts: ["t": 1], perObject: 4)
        try cluster.createTopic("t", partitions: 1)
        var options = mockOptions(cluster)
        try options.kafka.set(key, value)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.isInvalidInput == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(key) == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0] == nil)
    }

    @Test func refusedRecordStopsWithResumableState() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        var records = awkwardRecords(count: 12, partition: 0)
        records[7].value = [UInt8](repeating: 0x41, count: 5_000)
        try await fixture.writeRun(["t": [0: records]], partitionCounts: ["t": 1], perObject: 4)
        try cluster.createTopic("t", partitions: 1)

        var small = mockOptions(cluster)
        try small.kafka.set("message.max.bytes", "2000")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, small).summary.line }
        #expect(error?.message.hasPrefix("produce to t/0 (source offset 7): ") == true)
        // The producer's own limit, set by -X: every rerun with it meets the record again.
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.hasSuffix("(-X message.max.bytes is below this record's size)") == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "t", partitions: 1)[0]?.count == 7)
        let state = try await fixture.store.get(fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "t"))
        let progress = try RestoreProgress.decode(Data(state), name: "state")
        #expect(progress.partitions.map(\.nextSourceOffset) == [7])
        #expect(progress.partitions.map(\.deliveredRecords) == [7])

        let rerun = try await restore(fixture, mockOptions(cluster))
        #expect(rerun.summary.alreadyPresentRecords == 7)
        #expect(differences(expected: records, got: try readTarget(cluster.config, topic: "t", partitions: 1)[0] ?? []) == [])
    }

    /// A target that refuses a batch for a reason a rerun meets again (its size limit, its ACLs)
    /// stops the restore with that reason, exit 2, whichever of the run's partitions it hit. The
    /// refusal stops the producer (gapless), so every record still queued then fails as its
    /// consequence; one of those, or producing after it, named another partition and "purged",
    /// exit 1, in most runs.
    @Test(arguments: [
        (10, "MSG_SIZE_TOO_LARGE"), (29, "TOPIC_AUTHORIZATION_FAILED"), (87, "cleanup.policy=compact"),
        (32, "message.timestamp.before.max.ms")
    ])
    func aRefusalARerunMeetsAgainIsNamedWhateverFailsAfterIt(code: Int32, name: String) async throws {
        let records = (0..<3).map { [Int32($0): awkwardRecords(count: 3_000, partition: Int32($0))] }.reduce(into: [:]) {
            $0.merge($1) { a, _ in a }
        }
        let fixture = StoreFixture()
        try await fixture.writeRun(["t": records], partitionCounts: ["t": 3], perObject: 500)
        for _ in 0..<4 {
            let cluster = try KafkaMockCluster(brokers: 1)
            try cluster.createTopic("t", partitions: 3)
            cluster.failNextRequests(apiKey: 0, with: Array(repeating: KafkaError.Code(rawValue: code), count: 50))
            let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
            #expect(error?.isInvalidInput == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(name) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("PURGE") == false, "\(error?.message ?? "")")
        }
    }

    /// A producer id refused for want of the IdempotentWrite permission stops the restore as the
    /// ACLs it needs changed (exit 2), as a refused topic does; it was exit 1.
    @Test func aProducerIdRefusedByTheClustersACLsIsInvalidInput() async throws {
        // InitProducerId (API 22): CLUSTER_AUTHORIZATION_FAILED.
        let error = try await refusedRestore(records: 20, apiKey: 22, code: 31, count: 10)
        #expect(error?.isInvalidInput == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("CLUSTER_AUTHORIZATION_FAILED") == true, "\(error?.message ?? "")")
    }

    /// The target's ACLs refusing ListOffsets stop the restore before producing, exit 2 (a rerun
    /// meets them again), without saying it retried: it was exit 1 "retried for up to
    /// --stall-timeout", after one answer.
    @Test func endOffsetsRefusedByTheTargetsACLsAreInvalidInput() async throws {
        // ListOffsets (API 2): TOPIC_AUTHORIZATION_FAILED.
        let error = try await refusedRestore(records: 5, apiKey: 2, code: 29, count: 20)
        #expect(error?.isInvalidInput == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("TOPIC_AUTHORIZATION_FAILED") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("retried") == false, "\(error?.message ?? "")")
    }

    /// The failure of a restore of `records` records of one partition into a mock cluster whose next
    /// `count` requests of API `apiKey` are answered with error `code` (nil when it succeeded).
    func refusedRestore(records: Int, apiKey: Int16, code: Int32, count: Int) async throws -> RunFailure? {
        let fixture = StoreFixture()
        try await fixture.writeRun(
            ["t": [0: awkwardRecords(count: records, partition: 0)]], partitionCounts: ["t": 1], perObject: min(records, 10))
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("t", partitions: 1)
        cluster.failNextRequests(apiKey: apiKey, with: Array(repeating: KafkaError.Code(rawValue: code), count: count))
        return await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
    }
}
