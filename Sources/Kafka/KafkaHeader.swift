/// A record header: a name and a value that may be null (kept distinct from empty).
public struct KafkaHeader: Sendable, Hashable {
    /// The header name.
    public var name: String
    /// The value bytes; nil is a null value.
    public var value: [UInt8]?

    /// A header with the given name and value (nil for null).
    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// A record's timestamp and what it means.
public struct KafkaTimestamp: Sendable, Hashable {
    /// What the timestamp records.
    public enum Kind: String, Sendable, Hashable {
        /// Set by the producer.
        case createTime = "CreateTime"
        /// Set by the broker when it appended the record.
        case logAppendTime = "LogAppendTime"
        /// The record has none.
        case notAvailable = "NoTimestampType"
    }

    /// Milliseconds since the Unix epoch (-1 when not available).
    public let milliseconds: Int64
    /// Its kind.
    public let kind: Kind

    /// A timestamp of the given kind.
    public init(milliseconds: Int64, kind: Kind) {
        self.milliseconds = milliseconds
        self.kind = kind
    }
}
