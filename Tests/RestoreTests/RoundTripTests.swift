import Foundation
import Kafka
import Layout
import Restore
import Testing
import RecordFormats

@Suite struct RoundTripTests {
    /// Envelope objects restore byte-exact into renamed, partition-matched topics, record by record.
    @Test(arguments: [false, true])
    func renamedRoundTripIsByteExact(gzip: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let counts: [Int32: Int] = [0: 11, 1: 7, 2: 4]
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for (p, n) in counts { records[p] = awkwardRecords(count: n, partition: p, firstOffset: Int64(p) * 3) }
        try await fixture.writeRun(["orders": records], partitionCounts: ["orders": 3], gzip: gzip)
        try cluster.createTopic("restored-orders", partitions: 3)

        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "(.*)", replacement: "restored-$1")
        let result = try await restore(fixture, options)

        #expect(result.summary.producedRecords == 22)
        #expect(result.summary.topics.map(\.target) == ["restored-orders"])
        let got = try readTarget(cluster.config, topic: "restored-orders", partitions: 3)
        for p: Int32 in 0..<3 {
            #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)")
        }
        // Spot-check the awkward kinds really were there.
        let all = got.values.flatMap { $0 }
        #expect(all.contains { $0.key == nil } && all.contains { $0.key == [] })
        #expect(all.contains { $0.value == nil } && all.contains { $0.value == [0xFF, 0x00, 0xC3, 5] })
        #expect(all.contains { $0.headers.count == 3 && $0.headers[1].value == nil })
    }

    /// A gzip object whose lines inflate to more than a gzip chunk's plain step (4 MiB) restores
    /// whole though it is inflated a step at a time (lines straddle the steps).
    @Test func gzipChunkInflatedInStepsRestoresWhole() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        // 1100 lines of 4.1 KB (3500 repeated bytes, 600 random hex digits): 4.6 MB, about 400 KB
        // gzipped, so one chunk that takes two steps; and within the ~5 MiB a mock partition keeps.
        var state: UInt64 = 7
        let records = (0..<1100).map { n -> RecordFormats.KafkaRecord in
            let random = (0..<600).map { _ -> UInt8 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Array("0123456789abcdef".utf8)[Int(state >> 60)]
            }
            return RecordFormats.KafkaRecord(
                offset: Int64(n), timestamp: 1_700_000_000_000 + Int64(n), timestampType: .createTime,
                key: Array("k\(n)".utf8), value: [UInt8](repeating: 0x61, count: 3500) + random)
        }
        let manifest = try await fixture.writeRun(["bulk": [0: records]], partitionCounts: ["bulk": 1], perObject: 1100, gzip: true)
        let object = try #require(manifest.objects.first)
        #expect(manifest.objects.count == 1 && object.byteSize > 300_000 && object.byteSize < 1 << 20)
        try cluster.createTopic("bulk-copy", partitions: 1)
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "bulk", replacement: "bulk-copy")
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 1100)
        let got = try readTarget(cluster.config, topic: "bulk-copy", partitions: 1)[0] ?? []
        #expect(differences(expected: records, got: got) == [])
    }

    /// librdkafka refuses a record larger than its local queue (8 MiB by default) even when the queue is
    /// empty: the restore makes its producer again with a queue that holds it, and goes on. Here the
    /// queue is 1 MiB and the record 2 MiB, as the mock keeps only about 5 MiB of a partition.
    @Test func aRecordLargerThanTheLocalQueueRestores() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let small = awkwardRecords(count: 7, partition: 0)
        let big = RecordFormats.KafkaRecord(
            offset: 2, timestamp: 1_700_000_000_002, timestampType: .createTime, key: Array("big".utf8),
            value: (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let first = Array(small[0..<2])
        let second = (2..<7).map { n in
            RecordFormats.KafkaRecord(
                offset: Int64(n - 2), timestamp: small[n].timestamp, timestampType: .createTime, key: small[n].key, value: small[n].value)
        }
        try await fixture.writeRun(["huge": [0: first + [big], 1: second]], partitionCounts: ["huge": 2])
        try cluster.createTopic("huge-copy", partitions: 2)
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "huge", replacement: "huge-copy")
        try options.kafka.set("queue.buffering.max.kbytes", "1024")
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 8)
        let got = try readTarget(cluster.config, topic: "huge-copy", partitions: 2)
        #expect(differences(expected: first + [big], got: got[0] ?? []) == [])
        #expect(differences(expected: second, got: got[1] ?? []) == [])
    }

    /// The producer reads each decoded batch in place until its records are reported, and the batch
    /// is then decoded into again: with chunks of a few lines (700 bytes), or chunks lent in pieces
    /// of a record or two (200 bytes; the rest of the chunk kept for the next piece), hundreds of
    /// batches go round while earlier ones are still in flight, and every record must still arrive
    /// as it was stored, from plain and gzip objects.
    @Test(arguments: [(700, 1 << 20, false), (4 << 20, 200, false), (4 << 20, 200, true)])
    func batchesReusedAfterTheirReportsKeepEveryRecordIntact(chunkSize: Int, batchSize: Int, gzip: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for p: Int32 in 0..<2 { records[p] = awkwardRecords(count: 400, partition: p) }
        try await fixture.writeRun(["churn": records], partitionCounts: ["churn": 2], perObject: 200, gzip: gzip)
        try cluster.createTopic("churn-copy", partitions: 2)
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "churn", replacement: "churn-copy")
        options.chunkSize = chunkSize
        options.batchSize = batchSize
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 800)
        let got = try readTarget(cluster.config, topic: "churn-copy", partitions: 2)
        for p: Int32 in 0..<2 {
            #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)")
        }
    }

    /// A finished restore run again adds nothing, and says so.
    @Test func rerunOfFinishedRestoreAddsNothing() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 9, partition: 0)
        try await fixture.writeRun(["t": [0: records]], partitionCounts: ["t": 1])
        try cluster.createTopic("t", partitions: 1)
        let options = mockOptions(cluster)
        try await restore(fixture, options)
        let second = try await restore(fixture, options)
        #expect(second.summary.producedRecords == 0)
        #expect(second.summary.alreadyPresentRecords == 9)
        let got = try readTarget(cluster.config, topic: "t", partitions: 1)
        #expect(differences(expected: records, got: got[0] ?? []) == [])
    }

    /// A later backup run extends the source; restoring again produces only the new records.
    @Test func laterRunIsRestoredIncrementally() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let first = awkwardRecords(count: 5, partition: 0)
        let second = awkwardRecords(count: 4, partition: 0, firstOffset: 5, salt: "b")
        try await fixture.writeRun(["t": [0: first]], partitionCounts: ["t": 1])
        try cluster.createTopic("t", partitions: 1)
        let options = mockOptions(cluster)
        try await restore(fixture, options)
        try await fixture.writeRun(["t": [0: second]], partitionCounts: ["t": 1])
        let again = try await restore(fixture, options)
        #expect(again.summary.producedRecords == 4)
        let got = try readTarget(cluster.config, topic: "t", partitions: 1)
        #expect(differences(expected: first + second, got: got[0] ?? []) == [])
    }

    /// --from-time/--to-time keep records with timestamps in [from, to).
    @Test func timeRangeFiltersRecords() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 10, partition: 0)
        try await fixture.writeRun(["t": [0: records]], partitionCounts: ["t": 1])
        try cluster.createTopic("t", partitions: 1)
        var options = mockOptions(cluster)
        options.fromTime = records[2].timestamp
        options.toTime = records[7].timestamp
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 5)
        #expect(result.summary.filteredRecords == 5)
        let got = try readTarget(cluster.config, topic: "t", partitions: 1)
        #expect(differences(expected: Array(records[2..<7]), got: got[0] ?? []) == [])
    }
}
