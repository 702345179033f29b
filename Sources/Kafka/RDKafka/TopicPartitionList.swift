import CRdKafka
import Layout

/// Owns one `rd_kafka_topic_partition_list_t`, freed in deinit.
final class TopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int) {
        pointer = rd_kafka_topic_partition_list_new(Int32(clamping: max(capacity, 1)))
    }

    /// Takes ownership of a list librdkafka returned.
    init(owning pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    func add(_ topicPartition: TopicPartition, offset: Int64) {
        let element = rd_kafka_topic_partition_list_add(pointer, topicPartition.topic, topicPartition.partition)
        element?.pointee.offset = offset
    }

    struct Element {
        let topicPartition: TopicPartition
        let offset: Int64
        let error: KafkaError.Code
    }

    var elements: [Element] { Self.elements(of: pointer) }

    /// Reads a list this object does not own (e.g. one passed to a callback).
    static func elements(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Element] {
        (0..<Int(list.pointee.cnt)).compactMap { index in
            let element = list.pointee.elems[index]
            guard let topic = element.topic else { return nil }
            return Element(
                topicPartition: TopicPartition(topic: String(cString: topic), partition: element.partition),
                offset: element.offset, error: KafkaError.Code(element.err))
        }
    }
}
