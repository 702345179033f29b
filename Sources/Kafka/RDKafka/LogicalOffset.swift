import CRdKafka

/// librdkafka's logical offsets (`RD_KAFKA_OFFSET_*`): values of an offset field that name a place
/// in the log, or none, rather than a record.
enum LogicalOffset {
    /// The log start.
    static let beginning = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// After the last record (ListOffsets reads it as "latest").
    static let end = Int64(RD_KAFKA_OFFSET_END)
    /// The group's committed offset.
    static let stored = Int64(RD_KAFKA_OFFSET_STORED)
    /// No offset: a list entry that only names a partition, or where librdkafka writes one back.
    static let invalid = Int64(RD_KAFKA_OFFSET_INVALID)
    /// The partition field of a subscription's entries, which name only a topic.
    static let unassignedPartition = Int32(RD_KAFKA_PARTITION_UA)
}
