import CRdKafka

/// The partition Kafka's Java client chooses for a keyed record: `toPositive(murmur2(key)) % count`.
/// librdkafka's `rd_kafka_msg_partitioner_murmur2` is that partitioner (it reads neither the topic
/// nor the opaques it is given), so the hash is not written again here.
public enum KafkaKeyPartitioner {
    /// The partition of `key` (a record's key bytes, not null) among `partitionCount` partitions.
    public static func murmur2(_ key: UnsafeRawBufferPointer, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        return rd_kafka_msg_partitioner_murmur2(nil, key.baseAddress, key.count, partitionCount, nil, nil)
    }

    /// The partition of `key` among `partitionCount` partitions.
    public static func murmur2(_ key: [UInt8], partitionCount: Int32) -> Int32 {
        key.withUnsafeBytes { murmur2($0, partitionCount: partitionCount) }
    }
}
