import Failures
import Foundation
import Kafka
import Layout
@testable import Restore
import Testing
import RecordFormats

/// `--repartition`: a target with another partition count gets every record once, each keyed record
/// in the partition Kafka's Java client picks for its key, the records of one key in their order.
@Suite struct RepartitionTests {
    /// Records as a Java producer with the default partitioner leaves them in `partitions` partitions:
    /// 30 keys, each in its murmur2 partition, with a null-key record every fifth; values name the
    /// record so that every one can be found once.
    static func source(partitions: Int32, count: Int = 240) -> [Int32: [RecordFormats.KafkaRecord]] {
        var byPartition: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for i in 0..<count {
            let key: [UInt8]? = i % 5 == 4 ? nil : Array("key-\(i % 30)".utf8)
            let p = key.map { KafkaKeyPartitioner.murmur2($0, partitionCount: partitions) } ?? Int32(i) % partitions
            let offset = Int64(byPartition[p]?.count ?? 0)
            byPartition[p, default: []].append(
                RecordFormats.KafkaRecord(
                    offset: offset, timestamp: 1_700_000_000_000 + Int64(i), timestampType: .createTime,
                    key: key, value: Array("record-\(i)".utf8)))
        }
        return byPartition
    }

    /// What a repartitioned target must hold: every source record once; keyed ones in their murmur2
    /// partition, each key's records in source order.
    static func check(_ got: [Int32: [ConsumedRecord]], source: [Int32: [RecordFormats.KafkaRecord]], targetPartitions: Int32) -> [String] {
        var problems: [String] = []
        let sent = source.values.flatMap { $0 }
        let received = got.values.flatMap { $0 }
        if received.count != sent.count { problems.append("\(received.count) records in the target, \(sent.count) in the source") }
        if Set(received.compactMap(\.value)) != Set(sent.compactMap(\.value)) { problems.append("the values differ") }
        if Set(received.compactMap(\.value)).count != received.count { problems.append("a record is there twice") }
        for (p, records) in got {
            for record in records {
                guard let key = record.key else { continue }
                let expected = KafkaKeyPartitioner.murmur2(key, partitionCount: targetPartitions)
                if expected != p { problems.append("key \(String(decoding: key, as: UTF8.self)) is in partition \(p), not \(expected)") }
            }
        }
        var sourceOrder: [[UInt8]: [[UInt8]]] = [:]
        var targetOrder: [[UInt8]: [[UInt8]]] = [:]
        for p in source.keys.sorted() {
            for record in source[p] ?? [] { if let key = record.key { sourceOrder[key, default: []].append(record.value ?? []) } }
        }
        for p in got.keys.sorted() {
            for record in got[p] ?? [] { if let key = record.key { targetOrder[key, default: []].append(record.value ?? []) } }
        }
        if sourceOrder != targetOrder { problems.append("some key's records are out of order") }
        return Array(problems.prefix(5))
    }

    func setUp(from sourcePartitions: Int32, to targetPartitions: Int32) async throws
        -> (KafkaMockCluster, StoreFixture, [Int32: [RecordFormats.KafkaRecord]], RestoreOptions)
    {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = Self.source(partitions: sourcePartitions)
        try await fixture.writeRun(["orders": records], partitionCounts: ["orders": sourcePartitions], perObject: 7)
        try cluster.createTopic("orders", partitions: targetPartitions)
        var options = mockOptions(cluster)
        options.repartition = true
        return (cluster, fixture, records, options)
    }

    @Test(arguments: [(Int32(9), Int32(4)), (4, 9)])
    func everyRecordOnceInItsKeysPartition(from sourcePartitions: Int32, to targetPartitions: Int32) async throws {
        let (cluster, fixture, records, options) = try await setUp(from: sourcePartitions, to: targetPartitions)
        let result = try await restore(fixture, options)
        #expect(result.plan.topics.first?.repartitionedInto == targetPartitions)
        #expect(result.summary.producedRecords == 240)
        #expect(result.summary.topics.first?.repartitionedInto == targetPartitions)
        let got = try readTarget(cluster.config, topic: "orders", partitions: targetPartitions)
        #expect(Self.check(got, source: records, targetPartitions: targetPartitions) == [])

        // Run again: everything is there already, nothing is produced twice.
        let again = try await restore(fixture, options)
        #expect(again.summary.producedRecords == 0)
        #expect(again.summary.alreadyPresentRecords == 240)
        // All source partitions feed each entry: none is named (a prune cannot follow it).
        let key = fixture.layout.restoreStateKey(targetCluster: try targetName(cluster.config), topic: "orders")
        let state = try RestoreProgress.decode(Data(try await fixture.store.get(key)), name: key)
        #expect(state.partitions.count == Int(targetPartitions) && state.partitions.allSatisfy { $0.sourcePartition == nil })
    }

    /// Killed mid-way, before its state counted what landed: the rerun finds, per target partition,
    /// how much of that partition's share is there, and sends the rest.
    @Test(arguments: [3, 101])
    func killedRepartitionResumesExactlyOnce(stopAfter: Int) async throws {
        let (cluster, fixture, records, options) = try await setUp(from: 9, to: 4)
        var killed = options
        killed.stateInterval = 10_000
        await #expect(throws: SimulatedKill.self) { try await restore(fixture, killed, killedAfter: stopAfter).summary.line }
        let resumed = try await restore(fixture, options)
        #expect(resumed.summary.alreadyPresentRecords == Int64(stopAfter))
        #expect(resumed.summary.producedRecords == Int64(240 - stopAfter))
        let got = try readTarget(cluster.config, topic: "orders", partitions: 4)
        #expect(Self.check(got, source: records, targetPartitions: 4) == [])
    }

    /// Run again after a later backup added records to source partitions: refused before producing
    /// (exit 2), where it stopped naming "another producer" or, with equal records where the count
    /// pointed, skipped new records and wrote old ones twice, exit 0. The target keeps its records.
    @Test func aFinishedRepartitionIsNotAddedToByLaterBackups() async throws {
        let (cluster, fixture, records, options) = try await setUp(from: 9, to: 4)
        #expect(try await restore(fixture, options).summary.producedRecords == 240)
        var later: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for (p, old) in records {
            later[p] = [
                RecordFormats.KafkaRecord(
                    offset: Int64(old.count), timestamp: 1_800_000_000_000, timestampType: .createTime,
                    key: Array("later-\(p)".utf8), value: Array("later-\(p)".utf8))
            ]
        }
        try await fixture.writeRun(["orders": later], partitionCounts: ["orders": 9], perObject: 7)
        let refused = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(refused?.isInvalidInput == true)
        #expect(
            refused?.message.hasPrefix(
                "orders: this --repartition restore into orders finished with 240 records, and the store holds 9 more from later backups")
                == true,
            "\(refused?.message ?? "")")
        let got = try readTarget(cluster.config, topic: "orders", partitions: 4)
        #expect(Self.check(got, source: records, targetPartitions: 4) == [])
        // Its dry run says so too; and beside a topic restored p → p with new records of its own,
        // nothing of either is produced (the refusal came after the other topic's records).
        var dry = options
        dry.dryRun = true
        let planned = try await restore(fixture, dry)
        #expect(planned.summary.problems.count == 1 && planned.summary.problems[0] == refused?.message, "\(planned.summary.problems)")
        try cluster.createTopic("plain", partitions: 2)
        let plain: [Int32: [RecordFormats.KafkaRecord]] = [0: awkwardRecords(count: 5, partition: 0)]
        try await fixture.writeRun(["plain": plain], partitionCounts: ["plain": 2], perObject: 5)
        let both = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(both?.message.contains("finished with 240 records, and the store holds 9 more") == true, "\(both?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "plain", partitions: 2).values.joined().isEmpty)
    }

    /// Without --repartition a smaller target is refused; with it, a target of the same count keeps
    /// p → p; and a state written by a restore p → p is not resumed by a repartitioning one (the
    /// partitions' contents would not line up).
    @Test func repartitionIsOptInAndStatesDoNotMix() async throws {
        // The clusters are kept: a mock cluster ends with its object.
        let (narrow, fixture, _, options) = try await setUp(from: 9, to: 4)
        var plain = options
        plain.repartition = false
        let refused = await #expect(throws: RunFailure.self) { try await restore(fixture, plain).summary.line }
        #expect(refused?.message.contains("or pass --repartition") == true)
        var grouped = options
        grouped.consumerGroups = .names(["app"])
        let withGroups = await #expect(throws: RunFailure.self) { try await restore(fixture, grouped).summary.line }
        #expect(withGroups?.isInvalidInput == true)
        #expect(withGroups?.message.hasPrefix("--consumer-groups cannot be combined with --repartition (repartitioned: orders)") == true)

        let (equal, same, _, sameOptions) = try await setUp(from: 4, to: 4)
        let kept = try await restore(same, sameOptions)
        #expect(kept.plan.topics.first?.repartitionedInto == nil)
        #expect(kept.summary.producedRecords == 240)
        // p → p: each entry names its source partition, for a prune to tell what the restore still needs.
        let key = same.layout.restoreStateKey(targetCluster: try targetName(equal.config), topic: "orders")
        let state = try RestoreProgress.decode(Data(try await same.store.get(key)), name: key)
        #expect(state.partitions.map(\.sourcePartition) == [0, 1, 2, 3])

        let (wide, wider, _, widerOptions) = try await setUp(from: 9, to: 12)
        var byNumber = widerOptions
        byNumber.repartition = false
        #expect(try await restore(wider, byNumber).summary.producedRecords == 240)
        let mixed = await #expect(throws: RunFailure.self) { try await restore(wider, widerOptions).summary.line }
        #expect(mixed?.isInvalidInput == true)
        #expect(mixed?.message.contains("with other settings") == true)
        withExtendedLifetime((narrow, equal, wide)) {}
    }
}

/// Records without a key, spread as the Java client's sticky partitioner does, but in turn.
@Suite struct RecordRouterTests {
    func route(_ records: [RecordFormats.KafkaRecord], partitions: Int32) -> [Int32] {
        var batch = RecordBatch()
        for record in records { batch.append(record) }
        var router = RecordRouter(partitionCount: partitions)
        return batch.withUnsafeRecords { views in (0..<views.count).map { router.partition(of: views[$0]) } }
    }

    @Test func unkeyedRecordsStickToAPartitionFor16KiBThenMoveOn() {
        // 1 KiB values: 16 to a partition, then the next one, around and around.
        let records = (0..<100).map {
            RecordFormats.KafkaRecord(
                offset: Int64($0), timestamp: 0, timestampType: .createTime, key: nil,
                value: [UInt8](repeating: 7, count: 1024))
        }
        let partitions = route(records, partitions: 3)
        #expect(partitions == (0..<100).map { Int32($0 / 16 % 3) })
        #expect(route(records, partitions: 3) == partitions)
    }

    @Test func keyedRecordsGoWhereTheirKeyHashesAndAnEmptyKeyIsAKey() {
        let keys: [[UInt8]?] = [Array("a".utf8), [], nil, Array("a".utf8)]
        let records = keys.enumerated().map {
            RecordFormats.KafkaRecord(
                offset: Int64($0.offset), timestamp: 0, timestampType: .createTime,
                key: $0.element, value: [1])
        }
        let partitions = route(records, partitions: 7)
        #expect(partitions[0] == KafkaKeyPartitioner.murmur2(Array("a".utf8), partitionCount: 7))
        #expect(partitions[1] == KafkaKeyPartitioner.murmur2([], partitionCount: 7))
        #expect(partitions[2] == 0)
        #expect(partitions[3] == partitions[0])
    }
}
