import CRdKafka
import Foundation
import Layout

/// Cluster-level operations: metadata, offsets, topic creation, topic configs and group offsets.
///
/// Every method blocks the calling thread up to its timeout; call it from a dedicated thread or through
/// ``KafkaBlocking/run(_:)``, never directly from an async task.
public final class KafkaAdmin: Sendable {
    let client: RDKafkaClient
    let configForGroups: KafkaConfig
    /// The answer a retrying call was last given (a leader moving), while it retries.
    private let retried = RetriedAnswer()

    /// Makes a client (no connection is made until the first request).
    public init(config: KafkaConfig) throws {
        configForGroups = config
        client = try RDKafkaClient(type: RD_KAFKA_PRODUCER, config: config, defaults: [])
    }

    /// Succeeds when the cluster answers within the timeout; else throws one `.unreachable` error with the
    /// cause librdkafka reported (connection refused, authentication failed, …).
    public func checkConnection(timeoutMilliseconds: Int32 = 10_000) throws {
        try client.checkReachable(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The answer a call still retrying was last given (UNKNOWN_TOPIC_OR_PART, OFFSET_NOT_AVAILABLE),
    /// else the last error librdkafka reported for this client (connection refused, a name that does
    /// not resolve), after serving what is queued: for the line of a wait given up on.
    public var lastReportedError: KafkaError? {
        let answer = retried.error
        // A call that only timed out says less than the client's own report (a refused connection).
        if let answer, answer.code != .timedOut { return answer }
        client.poll(timeoutMilliseconds: 0)
        return client.state.lastError ?? answer
    }

    /// Brokers and all topics with their partitions and leaders.
    public func metadata(timeoutMilliseconds: Int32 = 10_000) throws -> KafkaClusterMetadata {
        try client.metadata(topic: nil, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The cluster's id (Metadata's ClusterId), which names it whatever bootstrap list reached it; nil
    /// when it reports none. Answered from the last metadata when there was one, else waits for it.
    public func clusterId(timeoutMilliseconds: Int32 = 10_000) -> String? {
        client.clusterId(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// One topic's metadata; its `error` is `UNKNOWN_TOPIC_OR_PART` when it does not exist.
    public func topic(_ name: String, timeoutMilliseconds: Int32 = 10_000) throws -> KafkaTopicMetadata? {
        try client.metadata(topic: name, timeoutMilliseconds: timeoutMilliseconds).topics.first { $0.name == name }
    }

    /// The low and high watermark offsets of one partition, asked of its leader. An answer a later
    /// attempt may cure (NOT_LEADER_FOR_PARTITION while a leader moves) is asked again, backing off,
    /// for up to `retryingFor` seconds.
    public func watermarks(
        _ partition: TopicPartition, timeoutMilliseconds: Int32 = 10_000, retryingFor seconds: TimeInterval = 0
    ) throws -> KafkaWatermarks {
        try retrying(for: seconds) { try client.watermarks(partition, timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// `endOffsets`, an answer a later attempt may cure asked again, backing off, for up to `seconds`.
    public func endOffsets(_ partitions: [TopicPartition], retryingFor seconds: TimeInterval) throws -> [TopicPartition: Int64] {
        try retrying(for: seconds) { try endOffsets(partitions) }
    }

    private func retrying<T>(for seconds: TimeInterval, _ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        var pause: UInt32 = 50_000
        while true {
            do {
                let answer = try body()
                retried.error = nil
                return answer
            } catch let error as KafkaError where error.isRetriable {
                // Kept once the time is up too: a stall watch that gives up on the call at the same
                // moment, before its error is delivered, names it (a loaded AddressSanitizer pass did).
                retried.error = error
                guard Date() < deadline else { throw error }
                usleep(pause)
                pause = min(pause * 2, 1_000_000)
            } catch {
                retried.error = nil
                throw error
            }
        }
    }

    /// The end (high watermark) offset of each partition, asked of all leaders at once: one ListOffsets
    /// request per broker instead of one round trip per partition.
    public func endOffsets(_ partitions: [TopicPartition], timeoutMilliseconds: Int32 = 10_000) throws -> [TopicPartition: Int64] {
        try EndOffsets.read(
            partitions,
            batched: { partitions in
                // ListOffsets takes RD_KAFKA_OFFSET_END as "latest", as the watermark query sends it.
                try self.client.offsets(forTimestamp: LogicalOffset.end, partitions: partitions, timeoutMilliseconds: timeoutMilliseconds)
            },
            single: { partition in
                try self.client.watermarks(partition, timeoutMilliseconds: timeoutMilliseconds).high
            })
    }

    /// `endOffsets` asked once, in one ListOffsets request per broker, and no more: an error for any
    /// partition fails it, and a partition answered without an offset is left out. For a question
    /// that must stay short, where `endOffsets` goes on to ask partitions one by one.
    public func endOffsetsAskedOnce(_ partitions: [TopicPartition], timeoutMilliseconds: Int32) throws -> [TopicPartition: Int64] {
        try client.offsets(forTimestamp: LogicalOffset.end, partitions: partitions, timeoutMilliseconds: timeoutMilliseconds)
            .compactMapValues { $0 }
    }

    /// For each partition, the earliest offset with a timestamp at or after `timestamp` (ms since epoch),
    /// nil when there is none. An optimisation only: confirm by reading.
    public func offsets(
        forTimestamp timestamp: Int64, partitions: [TopicPartition],
        timeoutMilliseconds: Int32 = 10_000
    ) throws -> [TopicPartition: Int64?] {
        try client.offsets(forTimestamp: timestamp, partitions: partitions, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Throws what `createTopics` would throw at once, without asking to create anything: kind
    /// `.unsupported` when the cluster's metadata names no controller to send CreateTopics to. (Not
    /// CreateTopics with validate-only: tansu creates the topics all the same.)
    public func checkCreateTopics(timeoutMilliseconds: Int32 = 10_000) throws {
        try client.requireController(operation: "create topics", apiName: "CreateTopics", timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Creates topics (Admin API CreateTopics). Returns the error of each topic that was not created,
    /// keyed by name (`TOPIC_ALREADY_EXISTS` included); throws if the request as a whole failed, with kind
    /// `.unsupported` when the broker lacks the API.
    public func createTopics(_ topics: [KafkaNewTopic], timeoutMilliseconds: Int32 = 30_000) throws -> [String: KafkaError] {
        var newTopics = [OpaquePointer?]()
        defer { newTopics.withUnsafeMutableBufferPointer { rd_kafka_NewTopic_destroy_array($0.baseAddress, $0.count) } }
        for topic in topics {
            var errstr = [CChar](repeating: 0, count: 512)
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    topic.name, topic.partitions, topic.replicationFactor,
                    &errstr, errstr.count)
            else {
                throw KafkaError(
                    .invalidArgument, code: .invalidArgument, operation: "create topic",
                    detail: String(nulTerminated: errstr), topic: topic.name)
            }
            newTopics.append(newTopic)
            for (name, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
                try KafkaError.check(
                    rd_kafka_NewTopic_set_config(newTopic, name, value),
                    "create topic (config \(name))", topic: topic.name)
            }
        }
        return try client.adminRequest(
            "create topics", api: RD_KAFKA_ADMIN_OP_CREATETOPICS, apiName: "CreateTopics",
            timeoutMilliseconds: timeoutMilliseconds,
            issue: { options, queue in
                newTopics.withUnsafeMutableBufferPointer {
                    rd_kafka_CreateTopics(client.handle, $0.baseAddress, $0.count, options, queue)
                }
            },
            read: { event in
                var count = 0
                guard let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
                else { return [:] }
                var failures = [String: KafkaError]()
                for index in 0..<count {
                    guard let result = results[index] else { continue }
                    let err = rd_kafka_topic_result_error(result)
                    guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
                    let name = String(cString: rd_kafka_topic_result_name(result))
                    let detail =
                        rd_kafka_topic_result_error_string(result).map { String(cString: $0) }
                        ?? KafkaError.Code(err).message
                    failures[name] = RDKafkaClient.adminError(
                        KafkaError.Code(err), operation: "create topic",
                        apiName: "CreateTopics", detail: detail, topic: name)
                }
                return failures
            })
    }

    /// A topic's config entries (Admin API DescribeConfigs); kind `.unsupported` when the broker lacks it.
    public func describeTopicConfigs(_ topic: String, timeoutMilliseconds: Int32 = 10_000) throws -> [KafkaConfigEntry] {
        try describeConfigs(
            RD_KAFKA_RESOURCE_TOPIC, name: topic, what: "topic \(topic)", topic: topic,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// A broker's config entries (its cluster-wide topic defaults among them, e.g. `log.retention.ms`).
    public func describeBrokerConfigs(_ broker: Int32, timeoutMilliseconds: Int32 = 10_000) throws -> [KafkaConfigEntry] {
        try describeConfigs(
            RD_KAFKA_RESOURCE_BROKER, name: String(broker), what: "broker \(broker)", topic: nil,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    private func describeConfigs(
        _ type: rd_kafka_ResourceType_t, name: String, what: String, topic: String?,
        timeoutMilliseconds: Int32
    ) throws -> [KafkaConfigEntry] {
        var resources: [OpaquePointer?] = [rd_kafka_ConfigResource_new(type, name)]
        defer { resources.withUnsafeMutableBufferPointer { rd_kafka_ConfigResource_destroy_array($0.baseAddress, $0.count) } }
        return try client.adminRequest(
            "describe configs of \(what)", api: RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            apiName: "DescribeConfigs",
            timeoutMilliseconds: timeoutMilliseconds,
            issue: { options, queue in
                resources.withUnsafeMutableBufferPointer {
                    rd_kafka_DescribeConfigs(client.handle, $0.baseAddress, $0.count, options, queue)
                }
            },
            read: { event in
                var count = 0
                guard
                    let results = rd_kafka_DescribeConfigs_result_resources(
                        rd_kafka_event_DescribeConfigs_result(event), &count), count > 0, let resource = results[0]
                else {
                    return []
                }
                let err = rd_kafka_ConfigResource_error(resource)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let detail =
                        rd_kafka_ConfigResource_error_string(resource).map { String(cString: $0) }
                        ?? KafkaError.Code(err).message
                    throw RDKafkaClient.adminError(
                        KafkaError.Code(err), operation: "describe configs",
                        apiName: "DescribeConfigs", detail: detail, topic: topic)
                }
                var entryCount = 0
                guard let entries = rd_kafka_ConfigResource_configs(resource, &entryCount) else { return [] }
                return (0..<entryCount).compactMap { index in
                    guard let entry = entries[index] else { return nil }
                    return KafkaConfigEntry(
                        name: String(cString: rd_kafka_ConfigEntry_name(entry)),
                        value: rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) },
                        source: String(cString: rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(entry))),
                        isDefault: rd_kafka_ConfigEntry_is_default(entry) != 0,
                        isReadOnly: rd_kafka_ConfigEntry_is_read_only(entry) != 0,
                        isSensitive: rd_kafka_ConfigEntry_is_sensitive(entry) != 0)
                }
            })
    }
}

/// The answer a retrying call was last given, for `lastReportedError`.
// @unchecked Sendable: `answer` is only reached under `lock`.
private final class RetriedAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var answer: KafkaError?
    var error: KafkaError? {
        get { lock.withLock { answer } }
        set { lock.withLock { answer = newValue } }
    }
}
