import Testing
@testable import Kafka
import Layout

@Suite struct RoundTripTests {
    /// Records that exercise every distinction a byte-exact backup must keep.
    static func records(topic: String) -> [KafkaProducerRecord] {
        let binary: [UInt8] = [0x00, 0xFF, 0xC3, 0x28, 0x80, 0x0A, 0x00]
        return [
            KafkaProducerRecord(
                topic: topic, partition: 0, key: binary, value: Array(binary.reversed()),
                timestamp: 1_600_000_000_001),
            KafkaProducerRecord(
                topic: topic, partition: 0, key: nil, value: Array("null key".utf8),
                timestamp: 1_600_000_000_002),
            KafkaProducerRecord(
                topic: topic, partition: 0, key: Array("tombstone".utf8), value: nil,
                timestamp: 1_600_000_000_003),
            KafkaProducerRecord(topic: topic, partition: 0, key: [], value: [], timestamp: 1_600_000_000_004),
            KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: nil, timestamp: 1_600_000_000_005),
            KafkaProducerRecord(
                topic: topic, partition: 0, key: Array("h".utf8), value: Array("headers".utf8),
                headers: [
                    KafkaHeader(name: "dup", value: [1]), KafkaHeader(name: "null", value: nil),
                    KafkaHeader(name: "dup", value: [2]), KafkaHeader(name: "empty", value: []),
                    KafkaHeader(name: "bin", value: binary)
                ],
                timestamp: 1_600_000_000_006),
            KafkaProducerRecord(
                topic: topic, partition: 1, key: Array("other".utf8), value: Array(repeating: 7, count: 100_000),
                timestamp: 1_600_000_000_007)
        ]
    }

    @Test func recordsComeBackByteExact() throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        let topic = uniqueTopic("roundtrip")
        try cluster.createTopic(topic, partitions: 3)
        let sent = Self.records(topic: topic)
        let reports = try produceAll(sent, config: cluster.config)
        #expect(reports.count == sent.count)
        #expect(reports.allSatisfy { $0.error == nil && $0.offset != nil })

        let partitions = (0..<3).map { (TopicPartition(topic: topic, partition: Int32($0)), KafkaOffset.beginning) }
        let read = try readUntilEOF(partitions, config: cluster.config)
        #expect(read.errors.isEmpty)
        #expect(read.records.count == sent.count)
        #expect(mismatches(sent: sent, read: read.records).isEmpty)
        // Offsets in a partition follow production order.
        let partition0 = read.records.filter { $0.partition == 0 }.map(\.offset)
        #expect(partition0 == Array(0..<6))
    }

    @Test func borrowedViewsTellNullFromEmpty() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let topic = uniqueTopic("views")
        try cluster.createTopic(topic, partitions: 1)
        _ = try produceAll(
            [
                KafkaProducerRecord(
                    topic: topic, partition: 0, key: [], value: nil,
                    headers: [KafkaHeader(name: "n", value: nil), KafkaHeader(name: "e", value: [])])
            ], config: cluster.config)
        let reader = try KafkaPartitionReader(config: cluster.config)
        try reader.assign([(TopicPartition(topic: topic, partition: 0), .beginning)])
        var seen: [(keyIsNil: Bool, keyCount: Int, valueIsNil: Bool, headers: [(String, Int?)])] = []
        var eof = false
        for _ in 0..<100 where !eof {
            try reader.poll(timeoutMilliseconds: 200) { event in
                switch event {
                case .record(let view):
                    var headers = [(String, Int?)]()
                    view.forEachHeader { name, value in headers.append((String(decoding: name, as: UTF8.self), value?.count)) }
                    #expect(view.headerCount == 2)
                    seen.append((view.key == nil, view.key?.count ?? -1, view.value == nil, headers))
                case .endOfPartition: eof = true
                default: break
                }
            }
        }
        let record = try #require(seen.first)
        #expect(!record.keyIsNil && record.keyCount == 0)
        #expect(record.valueIsNil)
        #expect(record.headers.map(\.0) == ["n", "e"])
        #expect(record.headers.map(\.1) == [nil, 0])
    }
}
