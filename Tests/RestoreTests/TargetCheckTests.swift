import Failures
import Foundation
import Kafka
import Layout
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
    @Test func createTopicsOnBrokerWithoutCreateTopicsFailsClearly() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = try await fixtureWithThreePartitions()
        var options = mockOptions(cluster)
        options.createTopics = true
        options.createTimeoutMilliseconds = 1_000
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
    }
}
