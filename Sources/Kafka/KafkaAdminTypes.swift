/// A topic to create.
public struct KafkaNewTopic: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The number of partitions.
    public var partitions: Int32
    /// The replication factor; -1 leaves it to the broker's default.
    public var replicationFactor: Int32
    /// Topic configs (e.g. `cleanup.policy=compact`), in order.
    public var configs: [String: String]

    /// Describes a topic to create.
    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// One config entry of a topic as DescribeConfigs reports it.
public struct KafkaConfigEntry: Sendable, Hashable {
    /// The config name, e.g. `retention.ms`.
    public let name: String
    /// Its value; nil when the broker hides it (sensitive) or has none.
    public let value: String?
    /// Where it comes from, e.g. `DYNAMIC_TOPIC_CONFIG`, `DEFAULT_CONFIG`.
    public let source: String
    /// True when the value is the broker's default (not set on the topic).
    public let isDefault: Bool
    /// True when the entry cannot be altered.
    public let isReadOnly: Bool
    /// True when the value is a secret.
    public let isSensitive: Bool
}

/// A consumer group as ListGroups reports it.
public struct KafkaGroupListing: Sendable, Hashable {
    /// The group id.
    public let name: String
    /// Its state, e.g. `Stable`, `Empty`.
    public let state: String
    /// Its protocol type, `consumer` for Kafka consumers.
    public let protocolType: String
    /// The number of members.
    public let memberCount: Int
}
