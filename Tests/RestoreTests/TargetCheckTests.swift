import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// Everything refused here is refused before a single record is produced (exit 2).
@Suite struct TargetCheckTests {
    func fixtureWithThreePartitions() async throws -> StoreFixture {
        let fixture = StoreFixture()
        let records = (0..<Int32(3)).reduce(into: [Int32: [RecordFormats.KafkaRecord]]()) {
            $0[$1] = awkwardRecords(count: 4, partition: $1)
        }
        try await fixture.writeRun(["orders": records], partitionCounts: ["orders": 3])
        return fixture
    }

    @Test func fewerTargetPartitionsIsRefusedBeforeProducing() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = try await fixtureWithThreePartitions()
        try cluster.createTopic("orders", partitions: 2)
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("target topic orders has 2 partitions, source topic orders has 3") == true)
        let got = try readTarget(cluster.config, topic: "orders", partitions: 2)
        #expect(got.values.allSatisfy { $0.isEmpty })
        // Nothing was written to the store either.
        #expect(try await fixture.store.listAll(prefix: fixture.layout.metadataFolder + "restore/").isEmpty)
    }

    @Test func missingTargetIsRefusedWithoutCreateTopics() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = try await fixtureWithThreePartitions()
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "orders", replacement: "orders-copy")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("orders-copy does not exist") == true)
        #expect(error?.message.contains("--create-topics") == true)
    }

    @Test func twoSourcesIntoOneTargetIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        try await fixture.writeRun(
            ["a-1": [0: awkwardRecords(count: 2, partition: 0)], "a-2": [0: awkwardRecords(count: 2, partition: 0)]],
            partitionCounts: ["a-1": 1, "a-2": 1])
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "a-\\d", replacement: "merged")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("a-1 and a-2 would both restore into merged") == true)
    }

    @Test func morePartitionsWarnsAndDryRunProducesNothing() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = try await fixtureWithThreePartitions()
        try cluster.createTopic("orders", partitions: 5)
        var options = mockOptions(cluster)
        options.dryRun = true
        let result = try await restore(fixture, options)
        #expect(result.summary.dryRun)
        #expect(result.summary.producedRecords == 0)
        #expect(result.plan.warnings.contains { $0.contains("orders has 5 partitions, more than the source's 3") })
        let text = result.plan.text
        #expect(text.contains("orders → orders: 3 of 3 partitions, 6 objects, 12 records"))
        #expect(text.contains("target has 5 partitions ≥ 3: ok"))
        #expect(try readTarget(cluster.config, topic: "orders", partitions: 5).values.allSatisfy { $0.isEmpty })
    }

    /// The mock cluster cannot create topics: --create-topics fails with one line naming the topic,
    /// as invalid input (exit 2): nothing was produced, and only creating the topic by hand helps.
    /// Its dry run names the same problem (it passed, and the run it approved failed).
    @Test func createTopicsOnBrokerWithoutCreateTopicsFailsClearly() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = try await fixtureWithThreePartitions()
        var options = mockOptions(cluster)
        options.createTopics = true
        options.rename = try RegexRouter(regex: "orders", replacement: "fresh-orders")
        var dry = options
        dry.dryRun = true
        let plan = try await restore(fixture, dry).plan
        #expect(plan.topics.first?.action == .create)
        #expect(plan.text.contains("will be created with 3 partitions"))
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.message.contains("cannot create target topic fresh-orders") == true)
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("create the target topics by hand") == true)
        #expect(plan.problems == [error?.message], "\(plan.problems)")
    }

    /// A target topic deleted after a restore into it is named as such with --create-topics, in the dry
    /// run and before the run creates anything: creating it first left an empty topic behind a run that
    /// then stopped on the state. Here the state moves to a cluster that never had the topic (the mock
    /// cannot delete one); that cluster cannot create topics either, so a create would fail otherwise.
    @Test func aDeletedTargetIsNamedBeforeCreateTopicsCreatesIt() async throws {
        let first = try KafkaMockCluster(brokers: 1)
        let fixture = try await fixtureWithThreePartitions()
        try first.createTopic("orders", partitions: 3)
        _ = try await restore(fixture, mockOptions(first))
        let second = try KafkaMockCluster(brokers: 1)
        let written = fixture.layout.restoreStateKey(targetCluster: try targetName(first.config), topic: "orders")
        let moved = fixture.layout.restoreStateKey(targetCluster: try targetName(second.config), topic: "orders")
        _ = try await fixture.store.put(moved, body: Array(try await fixture.store.get(written)))
        var options = mockOptions(second)
        options.createTopics = true
        options.createTimeoutMilliseconds = 1_000
        let expected =
            "target topic orders does not exist, but restore state \(moved) records a restore into it (partitions 0, 1, 2, 12 records confirmed); was it deleted? To restore it again, remove \(moved) and run again"
        var dry = options
        dry.dryRun = true
        // The dry run names every problem: that cluster cannot create topics either.
        let problems = try await restore(fixture, dry).plan.problems
        #expect(problems.first == expected && problems.count == 2, "\(problems)")
        #expect(problems.last?.hasPrefix("cannot create target topic orders:") == true, "\(problems)")
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message == expected)
    }

    /// A store this user may read but not write (a bucket handed over read-only): the restore's lease
    /// is refused there, exit 2, and the line says how to keep it elsewhere (it was exit 1, "worth a retry").
    @Test func aStoreThatRefusesTheLeaseSaysToPassStateDir() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("orders", partitions: 3)
        let fixture = StoreFixture(store: ReadOnlyRestoreFolder(forwardee: MemoryStore(name: "memory://handed-over")))
        let records = (0..<Int32(3)).reduce(into: [Int32: [RecordFormats.KafkaRecord]]()) {
            $0[$1] = awkwardRecords(count: 4, partition: $1)
        }
        try await fixture.writeRun(["orders": records], partitionCounts: ["orders": 3])
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, mockOptions(cluster)).summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.hasSuffix("pass --state-dir DIR to keep them in a local directory") == true, "\(error?.message ?? "")")
        #expect(try readTarget(cluster.config, topic: "orders", partitions: 3).values.allSatisfy { $0.isEmpty })
    }
}

/// Refuses every write under `_ktape/restore/`, as a bucket policy granting reads only would.
struct ReadOnlyRestoreFolder: ForwardingStore {
    let forwardee: any ObjectStore

    func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        guard !key.contains("_ktape/restore/") else {
            throw StoreError(.accessDenied, operation: "put", location: location, key: key, code: "AccessDenied", message: "Access Denied")
        }
        return try await forwardee.put(key, body: body, options: options)
    }
}
