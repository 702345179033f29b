import Foundation
import Testing
@testable import Kafka

@Suite struct ConnectionTests {
    @Test func unreachableBootstrapGivesOneClearErrorInBoundedTime() throws {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        let started = Date()
        let error = try #require(throws: KafkaError.self) { try admin.checkConnection(timeoutMilliseconds: 3000) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 20)  // bounded (librdkafka alone retries forever); loose for a loaded CI machine
        #expect(error.kind == .unreachable(bootstrap: "127.0.0.1:1"))
        #expect(error.description.hasPrefix("cannot reach Kafka at 127.0.0.1:1: "))
        #expect(!error.description.contains("\n"))
    }

    /// A metadata request that timed out names the time it waited, not the short probe that found
    /// out why (it said "no answer within 1 ms").
    @Test func aMetadataTimeoutNamesTheTimeItWaited() throws {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        let error = try #require(throws: KafkaError.self) { try admin.metadata(timeoutMilliseconds: 700) }
        #expect(error.description.contains("(no answer within 700 ms)"), "\(error)")
        #expect(!error.description.contains("within 1 ms"), "\(error)")
    }

    @Test func unreachableBootstrapFailsReaderAndProducerToo() throws {
        let config = KafkaConfig(bootstrapServers: "127.0.0.1:1")
        let reader = try KafkaPartitionReader(config: config)
        #expect(throws: KafkaError.self) { try reader.checkConnection(timeoutMilliseconds: 1500) }
        let producer = try KafkaProducer(config: config, onDelivery: { _ in })
        #expect(throws: KafkaError.self) { try producer.checkConnection(timeoutMilliseconds: 1500) }
    }

    @Test func listGroupsOnAnUnreachableClusterSaysUnreachable() throws {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        let started = Date()
        let error = try #require(throws: KafkaError.self) { try admin.listGroups(timeoutMilliseconds: 1500) }
        #expect(error.kind == .unreachable(bootstrap: "127.0.0.1:1") || error.code == .transport || error.code == .allBrokersDown)
        #expect(error.kind != .unsupported(operation: "ListGroups"))
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func reachableMockClusterPasses() throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        try KafkaAdmin(config: cluster.config).checkConnection(timeoutMilliseconds: 5000)
        #expect(cluster.bootstrapServers.split(separator: ",").count == 3)
    }

    @Test func blockingHelperRunsOffThePool() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let config = cluster.config
        let brokers = try await KafkaBlocking.run { try KafkaAdmin(config: config).metadata().brokers.count }
        #expect(brokers == 1)
    }
}
