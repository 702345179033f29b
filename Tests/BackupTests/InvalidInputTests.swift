import Failures
import Foundation
import KtapeTestSupport
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore
import JobSpec

/// Problems found before any work are invalid input (exit 2) with one line. (Kafka out of reach, a
/// failure in bounded time, is timed with the other deaths in BrokerDeathTests.)
@Suite struct InvalidInputTests {
    @Test func aNamedTopicThatDoesNotExistIsInvalidInput() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let store = MemoryStore()
        let error = await #expect(throws: RunFailure.self) { try await fixture.backup(store: store, topics: ["no-such-topic"]) }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message == "topic no-such-topic does not exist in the cluster")
        #expect(try await store.listAll(prefix: "").isEmpty)
    }

    @Test func regexSelectsInternalTopicsOnlyWhenNamed() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let plain = try fixture.topic("app", partitions: 1)
        try fixture.topic(named: "_schemas", partitions: 1)
        try fixture.topic(named: "__internal", partitions: 1)
        let metadata = try KafkaAdmin(config: fixture.kafka).metadata()
        var document: [String: JobRawValue] = ["bootstrap-servers": .scalar("x"), "store": .scalar("/s"), "topics-regex": .scalar(".*")]
        let byRegex = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        let names = try TopicSelection.select(settings: byRegex, metadata: metadata).map(\.name)
        #expect(names.contains(plain))
        #expect(!names.contains("_schemas") && !names.contains("__internal"))
        document["topics"] = .list(["_schemas"])
        let named = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        #expect(try TopicSelection.select(settings: named, metadata: metadata).map(\.name).contains("_schemas"))
    }
}
