import Testing
@testable import Kafka

@Suite struct ConfigTests {
    @Test func unknownPropertyIsAClearErrorNamingIt() throws {
        var config = KafkaConfig(bootstrapServers: "127.0.0.1:9092")
        let error = try #require(throws: KafkaError.self) { try config.set("no.such.property", "1") }
        #expect(error.kind == .invalidConfiguration(property: "no.such.property"))
        #expect(error.description.contains("no.such.property"))
        #expect(config.properties.isEmpty)
    }

    @Test func invalidValueIsAClearErrorNamingIt() throws {
        var config = KafkaConfig(bootstrapServers: "127.0.0.1:9092")
        let error = try #require(throws: KafkaError.self) { try config.set(assignment: "acks=sometimes") }
        #expect(error.description.hasPrefix("invalid Kafka property acks: "))
        #expect(error.description.count > "invalid Kafka property acks: ".count)
    }

    /// librdkafka 2.0 ends some reasons with the two characters `\n`; the error line does not.
    @Test func anOutOfRangeValueEndsItsLineWithTheRange() throws {
        var config = KafkaConfig(bootstrapServers: "127.0.0.1:9092")
        let error = try #require(throws: KafkaError.self) { try config.set(assignment: "message.max.bytes=1") }
        #expect(error.description.hasSuffix("outside allowed range 1000..1000000000"), "\(error.description)")
    }

    @Test func assignmentWithoutEqualsIsRejected() throws {
        var config = KafkaConfig(bootstrapServers: "x:1")
        #expect(throws: KafkaError.self) { try config.set(assignment: "security.protocol") }
        try config.set(assignment: "sasl.password=a=b")
        #expect(config.value(of: "sasl.password") == "a=b")
    }

    @Test func topicPrefixGoesToTheTopicConfigAndGlobalTopicPropertiesStayGlobal() throws {
        var config = KafkaConfig(bootstrapServers: "x:1")
        try config.set("topic.message.timeout.ms", "12345")
        try config.set("topic.metadata.refresh.interval.ms", "54321")
        let dump = Dictionary(try config.dump(), uniquingKeysWith: { _, last in last })
        #expect(dump["topic.message.timeout.ms"] == "12345")
        #expect(dump["topic.metadata.refresh.interval.ms"] == "54321")
        #expect(dump["metadata.broker.list"] == "x:1" || dump["bootstrap.servers"] == "x:1")
    }

    @Test func dumpMasksSecretsOnlyWhenAsked() throws {
        var config = KafkaConfig(bootstrapServers: "x:1")
        try config.set("sasl.username", "alice")
        try config.set("sasl.password", "hunter2")
        let masked = Dictionary(try config.dump(masked: true), uniquingKeysWith: { _, last in last })
        #expect(masked["sasl.password"] == "******")
        #expect(masked["sasl.username"] == "alice")
        #expect(!masked.values.contains("hunter2"))
        #expect(KafkaConfig.isSecret("ssl.key.password"))
        #expect(KafkaConfig.isSecret("sasl.oauthbearer.config"))
        #expect(KafkaConfig.isSecret("ssl.key.pem"))
        #expect(!KafkaConfig.isSecret("ssl.ca.location"))
    }

    @Test func clientDefaultsAppearInDumpAndUserPropertiesOverrideThem() throws {
        var config = KafkaConfig(bootstrapServers: "x:1")
        let defaults = Dictionary(
            try config.dump(clientDefaults: KafkaProducer.defaultProperties),
            uniquingKeysWith: { _, last in last })
        #expect(defaults["enable.idempotence"] == "true")
        try config.set("enable.idempotence", "false")
        let overridden = Dictionary(
            try config.dump(clientDefaults: KafkaProducer.defaultProperties),
            uniquingKeysWith: { _, last in last })
        #expect(overridden["enable.idempotence"] == "false")
    }

    @Test func libraryVersionIsReported() {
        #expect(KafkaLibrary.version.hasPrefix("2."))
        #expect(KafkaLibrary.isAtLeast(major: 2, minor: 0))
    }

    @Test func errorNamesAndFlagsComeFromLibrdkafka() {
        let error = KafkaError(code: .partitionEOF, operation: "read", topic: "t", partition: 3)
        #expect(error.name == "_PARTITION_EOF")
        #expect(error.description.contains("topic t partition 3"))
        #expect(KafkaError(code: .timedOut, operation: "x").isRetriable)
        #expect(!KafkaError(code: .invalidArgument, operation: "x").isRetriable)
    }
}
