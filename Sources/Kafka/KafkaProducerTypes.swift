import Layout
/// A record to produce, owning its bytes.
public struct KafkaProducerRecord: Sendable, Hashable {
    /// The target topic.
    public var topic: String
    /// The target partition (always explicit: restore keeps partition numbers).
    public var partition: Int32
    /// The key; nil is a null key, `[]` an empty one.
    public var key: [UInt8]?
    /// The value; nil is a null value (a tombstone), `[]` an empty one.
    public var value: [UInt8]?
    /// Headers in order, duplicates and null values kept.
    public var headers: [KafkaHeader]
    /// The CreateTime in ms since epoch; nil lets librdkafka use the current time. librdkafka reads an
    /// explicit 0 as "now" as well, so a record stamped exactly at the epoch cannot be reproduced.
    public var timestamp: Int64?

    /// Describes one record to produce.
    public init(
        topic: String, partition: Int32, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// The outcome of one produced record, matched back to the id given to `produce`.
public struct KafkaDeliveryReport: Sendable {
    /// The caller's id for the record.
    public let id: UInt64
    /// Where it went.
    public let topicPartition: TopicPartition
    /// The offset it got; nil when unknown (failed, or acks=0).
    public let offset: Int64?
    /// Why it was not delivered; nil on success.
    public let error: KafkaError?
}
