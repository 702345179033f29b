import Layout

/// Finds the writer of a record's partition. Records come in runs of one partition (a fetched
/// batch), so the writer found last is kept at hand: most records then cost no hashing of a topic
/// name (two dictionary lookups per record were 2% of a backup's read thread).
struct WriterLookup {
    private var last: (partition: Int32, topic: String, writer: PartitionWriter)?

    mutating func writer(_ topic: String, _ partition: Int32, in writers: [TopicPartition: PartitionWriter]) -> PartitionWriter? {
        if let last, last.partition == partition, last.topic == topic { return last.writer }
        let found = writers[TopicPartition(topic, partition)]
        last = found.map { (partition, topic, $0) }
        return found
    }

    /// Call whenever a writer is added, replaced or removed.
    mutating func forget() { last = nil }
}
