import CRdKafka
import Layout

/// librdkafka's in-process mock Kafka cluster, for tests and the demo. It lives as long as this object.
///
/// The mock answers produce, fetch, metadata, list offsets and group offsets, but not CreateTopics,
/// DescribeConfigs or ListGroups (in 2.0.2), and keeps only about 5 MiB of batches per partition:
/// older batches are dropped and the log start offset moves, as retention would.
///
/// It offers no way to take a broker down: librdkafka then re-binds the broker's port at once and
/// aborts the process if that fails, which it does when a child process being spawned at that
/// moment holds the listening socket. Tests take brokers down in `scripts/mock-kafka`'s process.
// @unchecked Sendable: its fields never change; librdkafka's mock cluster handle is thread-safe.
public final class KafkaMockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    /// The bootstrap list of the mock brokers, e.g. `127.0.0.1:37811,127.0.0.1:40211,…`.
    public let bootstrapServers: String
    /// The broker ids (1…brokers).
    public let brokerIDs: [Int32]

    /// Starts a cluster of `brokers` brokers on loopback ports.
    public init(brokers: Int = 3) throws {
        client = try RDKafkaClient(type: RD_KAFKA_PRODUCER, config: KafkaConfig(bootstrapServers: ""), defaults: [])
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(code: .fatal, operation: "start mock Kafka cluster", detail: "rd_kafka_mock_cluster_new failed")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerIDs = (1...Int32(max(brokers, 1))).map { $0 }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// A client configuration pointing at this cluster.
    public var config: KafkaConfig { KafkaConfig(bootstrapServers: bootstrapServers) }

    /// Creates a topic with `partitions` partitions, leaders spread over the brokers.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws {
        try KafkaError.check(
            rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor),
            "create mock topic", topic: name)
    }

    /// The next requests of Kafka API `apiKey` (2 is ListOffsets) are answered with `errors`, one each,
    /// whichever broker gets them: what a broker answers while a leader moves, for instance.
    public func failNextRequests(apiKey: Int16, with errors: [KafkaError.Code]) {
        let raw = errors.map(\.native)
        raw.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(cluster, apiKey, raw.count, $0.baseAddress) }
    }

    /// Delays every answer of the brokers by `milliseconds` (0 removes the delay), as a slow network would.
    public func setRoundTripTime(milliseconds: Int32) throws {
        try KafkaError.check(rd_kafka_mock_broker_set_rtt(cluster, -1, milliseconds), "set mock round-trip time")
    }
}
