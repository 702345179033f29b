import Kafka

/// The demo's source data: every kind of record a backup must keep byte for byte.
enum DemoRecords {
    static let topics: [(name: String, partitions: Int32)] = [("demo.orders", 3), ("demo.events", 2)]

    /// Tombstones, null and empty keys, binary values, JSON text with non-ASCII characters,
    /// duplicate and null-valued headers, explicit CreateTime timestamps.
    static func record(topic: String, partitions: Int32, index i: Int) -> KafkaProducerRecord {
        let partition = Int32(i % Int(partitions))
        let key: [UInt8]? = i % 7 == 0 ? nil : (i % 11 == 0 ? [] : Array("customer-\(i % 50)".utf8))
        let value: [UInt8]?
        switch i % 5 {
        case 0: value = nil
        case 1: value = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ i) }
        case 2: value = []
        default: value = Array("{\"order\":\(i),\"amount\":\(Double(i) * 1.25),\"note\":\"caf\u{e9} \u{1F4E6}\"}".utf8)
        }
        var headers = [KafkaHeader(name: "source", value: Array(topic.utf8))]
        if i % 3 == 0 { headers += [KafkaHeader(name: "trace", value: nil), KafkaHeader(name: "source", value: [0, 255])] }
        return KafkaProducerRecord(
            topic: topic, partition: partition, key: key, value: value, headers: headers,
            timestamp: 1_700_000_000_000 + Int64(i))
    }
}
