import Failures
import Foundation
import Kafka
import Layout
import Restore
import Testing
import RecordFormats

/// `--dry-run` tells what a run would do: time limits applied to the counts, the resume state
/// honoured, and every topic's problem found at once.
@Suite struct DryRunTests {
    /// `orders`, 3 partitions of 5 records (partition p's timestamps are 1_700_000_000_000 + p·100 000 + i).
    func setUp(targetPartitions: Int32? = 3, recordTimes: Bool = false) async throws -> (KafkaMockCluster, StoreFixture) {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = (0..<Int32(3)).reduce(into: [Int32: [RecordFormats.KafkaRecord]]()) {
            $0[$1] = awkwardRecords(count: 5, partition: $1)
        }
        try await fixture.writeRun(["orders": records], partitionCounts: ["orders": 3], recordTimes: recordTimes)
        if let targetPartitions { try cluster.createTopic("orders", partitions: targetPartitions) }
        return (cluster, fixture)
    }

    /// A store backed up with another --topics-dir: its objects are not where this restore looks, so
    /// it must not plan nothing and exit 0 (the run and its dry run both stop, naming the dir).
    @Test(arguments: [false, true])
    func aStoreWrittenUnderAnotherTopicsDirIsRefused(dryRun: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture(layout: StoreLayout(prefix: "backups", topicsDir: "mydir"))
        try await fixture.writeRun(["orders": [0: awkwardRecords(count: 5, partition: 0)]], partitionCounts: ["orders": 1])
        try cluster.createTopic("orders", partitions: 1)
        var options = mockOptions(cluster)
        options.dryRun = dryRun
        let error = await #expect(throws: RunFailure.self) {
            try await RestoreEngine(store: fixture.store, layout: StoreLayout(prefix: "backups", topicsDir: "topics"), options: options)
                .run()
        }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("wrote its objects under topics dir 'mydir', not 'topics'; pass --topics-dir mydir") == true)
        // With the dir it was written under, the same store restores.
        options.dryRun = false
        let result = try await RestoreEngine(store: fixture.store, layout: fixture.layout, options: options).run()
        #expect(result.summary.producedRecords == 5)
    }

    func dry(_ options: RestoreOptions) -> RestoreOptions {
        var options = options
        options.dryRun = true
        return options
    }

    /// Objects of 3 records: partition 0's lie inside the range, partition 2's outside, and partition
    /// 1's first object straddles its end. Without record times in the manifest all 6 objects are
    /// read to count; with them, the planner leaves out the 3 wholly outside and only the straddling
    /// one is read.
    @Test(arguments: [
        (false, 6, "3 of 3 partitions, 6 objects, 7 records", [Int64(5), 2, 0]),
        (true, 1, "2 of 3 partitions, 3 objects, 7 records", [5, 2])
    ])
    func timeRangeCountsWhatTheRunProduces(recordTimes: Bool, objectsRead: Int, line: String, counts: [Int64]) async throws {
        let (cluster, fixture) = try await setUp(recordTimes: recordTimes)
        var options = mockOptions(cluster)
        options.toTime = 1_700_000_100_002
        let plan = try await restore(fixture, dry(options))
        #expect(plan.plan.topics.first?.records == 7)
        #expect(plan.plan.partitions.map(\.records) == counts)
        #expect(plan.plan.objectsReadToCount == objectsRead)
        #expect(plan.plan.text.contains("orders → orders: \(line)"))
        #expect(plan.plan.text.contains("records: only those inside --from-time/--to-time (\(objectsRead) object"))
        #expect(plan.summary.topics.first?.plannedRecords == 7)
        let run = try await restore(fixture, options)
        #expect(run.summary.producedRecords == 7)
    }

    @Test func resumeStateIsHonoured() async throws {
        let (cluster, fixture) = try await setUp()
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, mockOptions(cluster), killedAfter: 4).summary.line }
        let partial = try await restore(fixture, dry(mockOptions(cluster)))
        #expect(partial.summary.alreadyPresentRecords == 4)
        #expect(partial.plan.text.contains("15 records, "))
        #expect(partial.plan.text.contains("; 4 already in the target (an earlier run); 11 to produce"))

        _ = try await restore(fixture, mockOptions(cluster))
        let finished = try await restore(fixture, dry(mockOptions(cluster)))
        #expect(finished.summary.alreadyPresentRecords == 15)
        #expect(finished.summary.line == "dry run: 1 topics, 3 partitions, 15 records already in the targets, nothing produced")
        #expect(finished.plan.text.contains("; 15 already in the target (an earlier run); 0 to produce"))
        #expect(finished.plan.problems.isEmpty)

        // Another producer wrote into the target since: the rerun would stop, so the dry run says so.
        try produceStrays(cluster, topic: "orders", partition: 1, values: [Array("stray".utf8)])
        let written = try await restore(fixture, dry(mockOptions(cluster)))
        #expect(
            written.plan.problems == [
                "target topic orders holds 16 records since this restore began, more than the 15 it restores; another producer wrote into it (a run would stop there)"
            ])
        // The run stops before producing, naming every partition written into, with exit 2: a rerun
        // cannot cure it.
        try produceStrays(cluster, topic: "orders", partition: 2, values: [Array("stray".utf8)])
        let stopped = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(stopped?.isInvalidInput == true)
        let message = stopped?.message ?? ""
        #expect(
            message.hasPrefix("2 problems: target orders/1 holds 6 records after offset 0, but this restore has only 5 for it"),
            "\(message)")
        #expect(message.contains("; target orders/2 holds 6 records after offset 0, but this restore has only 5 for it"), "\(message)")

        // Settings the state was not written with: the rerun would refuse, so the dry run says it.
        var other = mockOptions(cluster)
        other.toTime = 1_700_000_000_002
        let refused = try await restore(fixture, dry(other))
        #expect(refused.plan.problems.count == 3)
        #expect(refused.plan.problems.allSatisfy { $0.contains("by a restore with other settings") })
        // Its records are accounted for by that refused state: not also "no state accounts for them".
        #expect(!refused.plan.warnings.contains { $0.contains("no state of this restore accounts for") }, "\(refused.plan.warnings)")
    }

    /// A record another producer wrote at the point an interrupted restore resumes from: the rerun
    /// would stop there (the target's last record is not the source's), so the dry run says so too.
    @Test func aForeignRecordAtTheResumePointIsAProblem() async throws {
        let (cluster, fixture) = try await setUp()
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, mockOptions(cluster), killedAfter: 4).summary.line }
        try produceStrays(cluster, topic: "orders", partition: 0, values: [Array("stray".utf8)])

        let plan = try await restore(fixture, dry(mockOptions(cluster)))
        #expect(plan.plan.problems.count == 1, "\(plan.plan.problems)")
        #expect(
            plan.plan.problems.first?.hasPrefix("target orders/0: its record at offset 4 is not source record 4 ") == true,
            "\(plan.plan.problems)")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.message == plan.plan.problems.first)
        // As the dry run's exit 2 says: a rerun meets the same record, so no scheduler should retry.
        #expect(error?.isInvalidInput == true)
    }

    /// Each topic's check runs: every refusal is in the plan, and a run names them all in one line.
    @Test func everyTopicsProblemIsFoundAtOnce() async throws {
        let (cluster, fixture) = try await setUp(targetPartitions: 2)
        try await fixture.writeRun(
            [
                "payments": [0: awkwardRecords(count: 2, partition: 0)],
                "refunds": [0: awkwardRecords(count: 2, partition: 0), 1: awkwardRecords(count: 2, partition: 1)]
            ],
            partitionCounts: ["payments": 1, "refunds": 2])
        try cluster.createTopic("refunds", partitions: 1)
        let result = try await restore(fixture, dry(mockOptions(cluster)))
        #expect(
            result.plan.problems == [
                "target topic orders has 2 partitions, source topic orders has 3; partition p restores into partition p, so the target needs at least 3 (or pass --repartition)",
                "target topic payments does not exist (source payments has 1 partitions); create it or pass --create-topics",
                "target topic refunds has 1 partitions, source topic refunds has 2; partition p restores into partition p, so the target needs at least 2 (or pass --repartition)"
            ])
        #expect(result.summary.problems == result.plan.problems)
        #expect(result.plan.text.components(separatedBy: "\n").filter { $0.hasPrefix("  problem: ") }.count == 3)
        #expect(result.plan.text.contains("orders → orders: 3 of 3 partitions"))
        #expect(result.plan.text.contains("refunds → refunds: 2 of 2 partitions"))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.hasPrefix("3 problems: target topic orders has 2 partitions") == true)
        #expect(error?.message.contains("; target topic refunds has 1 partitions") == true)
    }

    /// `--as-of` limits the plan to the runs up to that one.
    @Test func asOfLimitsThePlan() async throws {
        let (cluster, fixture) = try await setUp()
        let first = try #require(fixture.runs.first)
        try await fixture.writeRun(["orders": [0: awkwardRecords(count: 4, partition: 0, firstOffset: 5)]], partitionCounts: ["orders": 3])
        var options = mockOptions(cluster)
        #expect(try await restore(fixture, dry(options)).plan.topics.first?.records == 19)
        options.asOf = first
        #expect(try await restore(fixture, dry(options)).plan.topics.first?.records == 15)
        #expect(try await restore(fixture, options).summary.producedRecords == 15)
    }
}
