import Foundation
import KtapeTestSupport
import Kafka
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// `ktape restore` as a user runs it: the built binary against a mock cluster in this process
/// (its brokers listen on loopback) and a directory store.
@Suite struct BinaryTests {
    @Test func dryRunPartitionCheckAndSummary() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = StoreFixture(store: try LocalDirectoryStore(root: directory.path), layout: StoreLayout())
        let records = [Int32(0): awkwardRecords(count: 5, partition: 0), 1: awkwardRecords(count: 3, partition: 1)]
        try await fixture.writeRun(["orders": records], partitionCounts: ["orders": 2])
        try cluster.createTopic("orders", partitions: 1)
        let base = ["restore", "-b", cluster.bootstrapServers, "--store", directory.path]

        let refused = try KtapeProcess.run(base)
        #expect(refused.status == 2)
        #expect(
            refused.stderr
                == "ktape: error: target topic orders has 1 partitions, source topic orders has 2; partition p restores into partition p, so the target needs at least 2 (or pass --repartition)\n"
        )

        // The dry run prints the whole plan and the problem, then fails as the run would; its
        // --summary-json keeps the problems (the failure's summary replaced them before).
        let dryJSON = directory.appendingPathComponent("dry.json").path
        let dryRefused = try KtapeProcess.run(base + ["--dry-run", "--summary-json", dryJSON])
        #expect(dryRefused.status == 2)
        let drySummary = try JSONDecoder().decode(RestoreSummary.self, from: Data(contentsOf: URL(fileURLWithPath: dryJSON)))
        #expect(drySummary.problems.count == 1 && drySummary.problems[0].hasPrefix("target topic orders has 1 partitions"))
        #expect(dryRefused.stdout.contains("orders → orders: 2 of 2 partitions, 3 objects, 8 records, "))
        #expect(dryRefused.stdout.contains("target has 1 partitions < 2: refused"))
        #expect(dryRefused.stdout.contains("  problem: target topic orders has 1 partitions, source topic orders has 2"))
        #expect(dryRefused.stderr == "ktape: error: dry run: 1 problem would stop this restore (listed in the plan above)\n")

        try cluster.createTopic("orders-copy", partitions: 2)
        let rename = ["--rename-regex", "orders", "--rename-replacement", "orders-copy"]
        let dry = try KtapeProcess.run(base + rename + ["--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("orders → orders-copy: 2 of 2 partitions, 3 objects, 8 records"))

        let summaryPath = directory.appendingPathComponent("summary.json").path
        let done = try KtapeProcess.run(base + rename + ["--summary-json", summaryPath])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.hasPrefix("restored 8 records into 1 topics"))
        let summary = try JSONDecoder().decode(RestoreSummary.self, from: Data(contentsOf: URL(fileURLWithPath: summaryPath)))
        #expect(summary.producedRecords == 8)
        let got = try readTarget(cluster.config, topic: "orders-copy", partitions: 2)
        #expect(differences(expected: records[0]!, got: got[0] ?? []) == [])
        #expect(differences(expected: records[1]!, got: got[1] ?? []) == [])
    }

    /// SIGKILL at an arbitrary moment of a real run, then a rerun: every record exactly once, in order.
    @Test func sigkilledRestoreResumesExactlyOnce() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = StoreFixture(store: try LocalDirectoryStore(root: directory.path), layout: StoreLayout())
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for p: Int32 in 0..<3 { records[p] = awkwardRecords(count: 15_000, partition: p) }
        try await fixture.writeRun(["bulk": records], partitionCounts: ["bulk": 3], perObject: 1_000)
        try cluster.createTopic("bulk", partitions: 3)
        let arguments = ["restore", "-b", cluster.bootstrapServers, "--store", directory.path]

        let output = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        // Small batches, one request in flight and brokers that answer after 20 ms stretch the first run over at least
        // 30 s (1,500 requests), so the kill lands mid-run however slowly a loaded machine polls; resume must not care how
        // it produced.
        try cluster.setRoundTripTime(milliseconds: 20)
        let throttled = ["-X", "batch.num.messages=10", "-X", "max.in.flight.requests.per.connection=1"]
        let process = try KtapeProcess.start(arguments + throttled, output: output)
        let admin = try KafkaAdmin(config: cluster.config)
        let deadline = Date().addingTimeInterval(60)
        var landed: Int64 = 0
        while landed < 1_000, process.isRunning, Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
            landed = try (0..<Int32(3)).reduce(0) { $0 + (try admin.watermarks(TopicPartition(topic: "bulk", partition: $1)).high) }
        }
        let firstErrors = (try? String(contentsOf: output.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        #expect(process.isRunning, "the restore ended before it could be killed: \(firstErrors)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(landed > 0 && landed < 45_000, "the kill should land mid-run; \(landed) records had landed")
        try cluster.setRoundTripTime(milliseconds: 0)

        let rerun = try KtapeProcess.run(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let got = try readTarget(cluster.config, topic: "bulk", partitions: 3)
        for p: Int32 in 0..<3 {
            #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)")
        }
    }
}
