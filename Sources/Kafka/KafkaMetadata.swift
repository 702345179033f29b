/// A broker of the cluster as metadata reports it.
public struct KafkaBrokerMetadata: Sendable, Hashable {
    /// The broker id.
    public let id: Int32
    /// The advertised host.
    public let host: String
    /// The advertised port.
    public let port: Int32
}

/// One partition of a topic as metadata reports it.
public struct KafkaPartitionMetadata: Sendable, Hashable {
    /// The partition number.
    public let id: Int32
    /// The leader's broker id (-1 when there is none).
    public let leader: Int32
    /// Broker ids of the replicas.
    public let replicas: [Int32]
    /// Broker ids of the in-sync replicas.
    public let inSyncReplicas: [Int32]
    /// The broker's error for this partition, if any (e.g. `LEADER_NOT_AVAILABLE`).
    public let error: KafkaError.Code?
}

/// A topic as metadata reports it.
public struct KafkaTopicMetadata: Sendable, Hashable {
    /// The topic name.
    public let name: String
    /// Its partitions, sorted by number.
    public let partitions: [KafkaPartitionMetadata]
    /// The broker's error for this topic, if any (e.g. `UNKNOWN_TOPIC_OR_PART`).
    public let error: KafkaError.Code?

    /// The number of partitions.
    public var partitionCount: Int { partitions.count }
}

/// The cluster's brokers and topics at one moment.
public struct KafkaClusterMetadata: Sendable {
    /// The brokers, sorted by id.
    public let brokers: [KafkaBrokerMetadata]
    /// The topics, sorted by name (internal topics included).
    public let topics: [KafkaTopicMetadata]
}

/// The offsets that bound a partition's log.
public struct KafkaWatermarks: Sendable, Hashable {
    /// The log start offset: the oldest record still kept.
    public let low: Int64
    /// The end offset: one past the last record (a transaction marker may be the last "record").
    public let high: Int64
}
