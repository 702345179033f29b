/// How a record's timestamp was assigned (Kafka's `TimestampType`).
public enum TimestampType: Sendable, Equatable, CaseIterable {
    /// Set by the producer.
    case createTime
    /// Set by the broker when the record was appended (topic `message.timestamp.type=LogAppendTime`).
    case logAppendTime
    /// No timestamp (old message format); the timestamp is then -1.
    case notAvailable
}

/// One record header. Names are bytes, not `String`: librdkafka hands out C strings and nothing may be lost.
public struct RecordHeader: Equatable, Sendable {
    /// The header name.
    public var name: [UInt8]
    /// The header value; `nil` is a null value, distinct from an empty one.
    public var value: [UInt8]?

    public init(name: [UInt8], value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// One Kafka record as ktape stores it. `nil` key or value is null (a tombstone); `[]` is empty.
public struct KafkaRecord: Equatable, Sendable {
    /// The record's offset in its source partition.
    public var offset: Int64
    /// Milliseconds since the epoch, -1 when `timestampType` is `.notAvailable`.
    public var timestamp: Int64
    public var timestampType: TimestampType
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Headers in their original order, duplicates included.
    public var headers: [RecordHeader]

    public init(
        offset: Int64, timestamp: Int64, timestampType: TimestampType,
        key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A header borrowed from memory someone else owns (librdkafka's message), valid only while that memory is.
/// Lets the consumer encode records without copying them into arrays first.
public struct RecordHeaderView {
    /// The header name bytes (without a C string's terminating NUL).
    public var name: UnsafeRawBufferPointer
    /// The value bytes; `nil` is a null value.
    public var value: UnsafeRawBufferPointer?

    public init(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
        self.name = name
        self.value = value
    }
}
