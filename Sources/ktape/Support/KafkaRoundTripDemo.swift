import Foundation
import Kafka

/// Produces varied records into an in-process mock cluster and reads them back, comparing each one.
/// Blocking librdkafka calls: run it off the cooperative thread pool.
struct KafkaRoundTripDemo {
    struct Report {
        var summary: String
        var mismatches: [String]
    }

    let recordCount: Int
    let topic = "demo-orders"
    let partitions: Int32 = 3

    func run() throws -> Report {
        let started = Date()
        let cluster = try KafkaMockCluster(brokers: 3)
        try cluster.createTopic(topic, partitions: partitions)
        let sent = (0..<recordCount).map(record)
        try produce(sent, config: cluster.config)
        let received = try consume(config: cluster.config)

        var mismatches: [String] = []
        for partition in 0..<partitions {
            let expected = sent.filter { $0.partition == partition }
            let got = received[partition] ?? []
            if got.count != expected.count {
                mismatches.append("partition \(partition): sent \(expected.count) records, read \(got.count)")
            }
            for (index, (want, have)) in zip(expected, got).enumerated()
            where want.key != have.key || want.value != have.value || want.headers != have.headers
                || want.timestamp != have.timestamp.milliseconds {
                mismatches.append("\(topic)[\(partition)] record \(index) at offset \(have.offset)")
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let summary = """
            mock cluster: \(cluster.brokerIDs.count) brokers at \(cluster.bootstrapServers)
            topic \(topic): \(partitions) partitions, \(sent.count) records produced, \
            \(received.values.map(\.count).reduce(0, +)) read back, \(mismatches.count) mismatches \
            (\(String(format: "%.2f", seconds)) s)
            """
        return Report(summary: summary, mismatches: mismatches)
    }

    /// Every kind of record a backup must keep: tombstones, null and empty keys, binary values,
    /// duplicate and null-valued headers, explicit timestamps.
    private func record(_ i: Int) -> KafkaProducerRecord {
        let partition = Int32(i % Int(partitions))
        let key: [UInt8]? = i % 7 == 0 ? nil : (i % 11 == 0 ? [] : Array("customer-\(i % 50)".utf8))
        let value: [UInt8]?
        switch i % 5 {
        case 0: value = nil
        case 1: value = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ i) }
        default: value = Array("{\"order\":\(i),\"amount\":\(Double(i) * 1.25),\"note\":\"caf\u{e9} \u{1F4E6}\"}".utf8)
        }
        var headers = [KafkaHeader(name: "source", value: Array("demo".utf8))]
        if i % 3 == 0 { headers += [KafkaHeader(name: "trace", value: nil), KafkaHeader(name: "source", value: [0, 255])] }
        return KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value, headers: headers,
                                   timestamp: 1_700_000_000_000 + Int64(i))
    }

    private func produce(_ records: [KafkaProducerRecord], config: KafkaConfig) throws {
        let failures = DeliveryFailures()
        let producer = try KafkaProducer(config: config) { report in
            if let error = report.error { failures.add("\(report.topicPartition): \(error)") }
        }
        for (id, record) in records.enumerated() {
            try producer.produce(record, id: UInt64(id))
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        if let first = failures.first { throw KafkaDemoError(message: "delivery failed: \(first)") }
    }

    private func consume(config: KafkaConfig) throws -> [Int32: [KafkaRecord]] {
        let reader = try KafkaPartitionReader(config: config)
        try reader.assign((0..<partitions).map { (KafkaTopicPartition(topic: topic, partition: $0), .beginning) })
        var records: [Int32: [KafkaRecord]] = [:]
        var finished = Set<Int32>()
        let deadline = Date().addingTimeInterval(30)
        while finished.count < partitions {
            guard Date() < deadline else { throw KafkaDemoError(message: "reading back timed out after 30 s") }
            for event in try reader.poll(timeoutMilliseconds: 500) {
                switch event {
                case .record(let record): records[record.partition, default: []].append(record)
                case .endOfPartition(let partition, _): finished.insert(partition.partition)
                case .error(let error): throw error
                case .assigned, .revoked: break
                }
            }
        }
        return records
    }
}

struct KafkaDemoError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Delivery reports arrive on librdkafka's thread; the demo only needs the first failure.
private final class DeliveryFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
    var first: String? { lock.lock(); defer { lock.unlock() }; return messages.first }
}
