import CRdKafka

/// Topic names by librdkafka topic handle, so a message costs no String made from the C name; the
/// last one is kept at hand, since messages and delivery reports come in runs of one partition.
/// Used by one thread at a time (the one that polls).
struct TopicNames {
    private var byHandle: [OpaquePointer: String] = [:]
    private var last: (handle: OpaquePointer, name: String)?

    mutating func name(_ handle: OpaquePointer) -> String {
        if let last, last.handle == handle { return last.name }
        let name = byHandle[handle] ?? String(cString: rd_kafka_topic_name(handle))
        byHandle[handle] = name
        last = (handle, name)
        return name
    }
}
