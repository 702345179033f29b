import Foundation
import Testing
@testable import Kafka

@Suite struct ConnectionFailureTests {
    @Test func tlsHandshakeFailureEndsTheWaitEarly() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        var config = cluster.config
        try config.set("security.protocol", "ssl")
        let admin = try KafkaAdmin(config: config)
        let started = Date()
        let error = try #require(throws: KafkaError.self) { try admin.checkConnection(timeoutMilliseconds: 60_000) }
        #expect(error.kind == .unreachable(bootstrap: cluster.bootstrapServers))
        #expect(error.description.contains("SSL handshake failed") || error.description.contains("SSL_HANDSHAKE"))
        #expect(!error.isRetriable)
        #expect(Date().timeIntervalSince(started) < 30)  // ends long before the 60 s timeout
    }
}

extension ConnectionFailureTests {
    @Test func authenticationFailureIsOneClearErrorAtOnce() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        var config = cluster.config
        try config.set("security.protocol", "sasl_plaintext")
        try config.set("sasl.mechanism", "PLAIN")
        try config.set("sasl.username", "alice")
        try config.set("sasl.password", "wrong-secret")
        let admin = try KafkaAdmin(config: config)
        let started = Date()
        do {
            try admin.checkConnection(timeoutMilliseconds: 60_000)
            Issue.record("SASL against the mock unexpectedly succeeded")
        } catch let error as KafkaError {
            // The 2.0.2 mock has no SaslHandshake: librdkafka reports _AUTHENTICATION, conclusive at once.
            #expect(error.code == .authentication)
            #expect(error.kind == .unreachable(bootstrap: cluster.bootstrapServers))
            #expect(!error.description.contains("wrong-secret"))
        }
        #expect(Date().timeIntervalSince(started) < 30)  // ends long before the 60 s timeout
    }
}

extension ConnectionFailureTests {
    /// librdkafka refuses to make a client only over its settings (TLS files it cannot load), before
    /// any connection: every client, consumer, producer or admin, calls that a configuration error.
    @Test(arguments: [("ssl.ca.location", "/nonexistent/ca.pem"), ("ssl.key.pem", "garbage")])
    func settingsLibrdkafkaCannotUseAreAConfigurationError(property: String, value: String) throws {
        var config = KafkaConfig(bootstrapServers: "127.0.0.1:1")
        try config.set("security.protocol", "ssl")
        try config.set(property, value)
        let admin = try #require(throws: KafkaError.self) { _ = try KafkaAdmin(config: config) }
        #expect(admin.description.contains(property), "\(admin)")
        #expect(admin.isConfigurationError, "\(admin)")
        let producer = try #require(throws: KafkaError.self) { _ = try KafkaProducer(config: config, onDelivery: { _ in }) }
        #expect(producer.isConfigurationError, "\(producer)")
    }
}
