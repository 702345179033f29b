import CRdKafka
import Layout

extension RDKafkaClient {
    /// All topics (or only `topic`) with partitions and leaders.
    func metadata(topic: String?, timeoutMilliseconds: Int32) throws -> KafkaClusterMetadata {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        var topicHandle: OpaquePointer?
        if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, timeoutMilliseconds)
        if err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT {
            try checkReachable(timeoutMilliseconds: 1, waited: timeoutMilliseconds)
        }
        try KafkaError.check(err, "read metadata", topic: topic)
        guard let metadata else {
            throw KafkaError(code: .fatal, operation: "read metadata", detail: "no metadata returned")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let md = metadata.pointee
        let brokers = (0..<Int(md.broker_cnt)).map { index in
            let broker = md.brokers[index]
            return KafkaBrokerMetadata(
                id: broker.id, host: broker.host.map { String(cString: $0) } ?? "",
                port: broker.port)
        }
        let topics = (0..<Int(md.topic_cnt)).map { index -> KafkaTopicMetadata in
            let topic = md.topics[index]
            let partitions = (0..<Int(topic.partition_cnt)).map { p -> KafkaPartitionMetadata in
                let partition = topic.partitions[p]
                return KafkaPartitionMetadata(
                    id: partition.id, leader: partition.leader,
                    replicas: (0..<Int(partition.replica_cnt)).map { partition.replicas[$0] },
                    inSyncReplicas: (0..<Int(partition.isr_cnt)).map { partition.isrs[$0] },
                    error: partition.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(partition.err))
            }
            return KafkaTopicMetadata(
                name: topic.topic.map { String(cString: $0) } ?? "",
                partitions: partitions.sorted { $0.id < $1.id },
                error: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(topic.err))
        }
        return KafkaClusterMetadata(brokers: brokers.sorted { $0.id < $1.id }, topics: topics.sorted { $0.name < $1.name })
    }

    /// The cluster id of the last metadata answer (waiting up to the timeout for one when none came
    /// yet); nil when the cluster reports none (brokers before Kafka 0.10.1) or none came in time.
    func clusterId(timeoutMilliseconds: Int32) -> String? {
        guard let id = rd_kafka_clusterid(handle, timeoutMilliseconds) else { return nil }
        defer { rd_kafka_mem_free(handle, id) }
        let text = String(cString: id)
        return text.isEmpty ? nil : text
    }

    /// Two ListOffsets answers, log start then end, each checked. Not rd_kafka_query_watermark_offsets:
    /// in librdkafka 2.0.2, with calls at once on one handle and one answer an error (a leader moving),
    /// it could count an answer it never read and return low == high with no error, which a backup
    /// took for a retention gap and skipped records still in Kafka.
    func watermarks(_ topicPartition: TopicPartition, timeoutMilliseconds: Int32) throws -> KafkaWatermarks {
        // Start first: both only grow, so an end read after it is never below it.
        let low = try logOffset(topicPartition, LogicalOffset.beginning, timeoutMilliseconds: timeoutMilliseconds)
        let high = try logOffset(topicPartition, LogicalOffset.end, timeoutMilliseconds: timeoutMilliseconds)
        guard low <= high else {
            throw KafkaError(
                code: .badMessage, operation: "list offsets", detail: "the log starts at \(low), after its end \(high)",
                topic: topicPartition.topic, partition: topicPartition.partition, isRetriable: true)
        }
        return KafkaWatermarks(low: low, high: high)
    }

    /// The partition's log start (`LogicalOffset.beginning`) or end (`.end`), as its leader answers.
    private func logOffset(_ topicPartition: TopicPartition, _ which: Int64, timeoutMilliseconds: Int32) throws -> Int64 {
        let list = TopicPartitionList(capacity: 1)
        list.add(topicPartition, offset: which)
        try KafkaError.check(
            rd_kafka_offsets_for_times(handle, list.pointer, timeoutMilliseconds), "list offsets", topic: topicPartition.topic,
            partition: topicPartition.partition)
        guard let element = list.elements.first, element.error == .noError else {
            throw KafkaError(
                code: list.elements.first?.error ?? .badMessage, operation: "list offsets", topic: topicPartition.topic,
                partition: topicPartition.partition)
        }
        // An entry no answer filled keeps the logical offset it was sent with.
        guard element.offset >= 0 else {
            throw KafkaError(
                code: .badMessage, operation: "list offsets", detail: "the answer named no offset", topic: topicPartition.topic,
                partition: topicPartition.partition, isRetriable: true)
        }
        return element.offset
    }

    /// For each partition, the earliest offset whose timestamp is at or after `timestamp` (ms since epoch);
    /// nil when no record is that recent.
    func offsets(
        forTimestamp timestamp: Int64, partitions: [TopicPartition],
        timeoutMilliseconds: Int32
    ) throws -> [TopicPartition: Int64?] {
        let list = TopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(partition, offset: timestamp) }
        try KafkaError.check(rd_kafka_offsets_for_times(handle, list.pointer, timeoutMilliseconds), "offsets for times")
        var result = [TopicPartition: Int64?]()
        for element in list.elements {
            guard element.error == .noError else {
                throw KafkaError(
                    code: element.error, operation: "offsets for times",
                    topic: element.topicPartition.topic, partition: element.topicPartition.partition)
            }
            let offset: Int64? = element.offset >= 0 ? element.offset : nil
            result[element.topicPartition] = .some(offset)
        }
        return result
    }
}
