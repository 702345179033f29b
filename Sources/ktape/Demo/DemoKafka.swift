import Failures
import Foundation
import Kafka
import Layout

/// Blocking Kafka chores of the demo: run them through `KafkaBlocking.run`.
enum DemoKafka {
    static func produce(_ records: [KafkaProducerRecord], config: KafkaConfig) throws -> Int {
        let failures = DeliveryFailures()
        let producer = try KafkaProducer(config: config) { report in
            if let error = report.error { failures.add("\(report.topicPartition): \(error)") }
        }
        for (id, record) in records.enumerated() { try producer.produce(record, id: UInt64(id)) }
        try producer.flush(timeoutMilliseconds: 30_000)
        if let first = failures.first { throw RunFailure.failure("demo: delivery failed: \(first)") }
        return records.count
    }

    /// Every record of every partition, read from the log start to the end.
    static func readAll(topic: String, partitions: Int32, config: KafkaConfig) throws -> [Int32: [ConsumedRecord]] {
        let reader = try KafkaPartitionReader(config: config)
        try reader.assign((0..<partitions).map { (TopicPartition(topic: topic, partition: $0), .beginning) })
        var records: [Int32: [ConsumedRecord]] = [:]
        var finished = Set<Int32>()
        let deadline = Date().addingTimeInterval(30)
        while finished.count < partitions {
            guard Date() < deadline else { throw RunFailure.failure("demo: reading \(topic) back timed out after 30 s") }
            for event in try reader.poll(timeoutMilliseconds: 200) {
                switch event {
                case .record(let record): records[record.partition, default: []].append(record)
                case .endOfPartition(let partition, _): finished.insert(partition.partition)
                case .error(let error) where error.isFatal: throw error
                case .error, .assigned, .revoked: break
                }
            }
        }
        return records
    }

    /// Each restored record must equal its source in the same partition and position.
    static func differences(source: String, _ original: [Int32: [ConsumedRecord]], target: String, _ restored: [Int32: [ConsumedRecord]])
        -> [String]
    {
        var problems: [String] = []
        for partition in Set(original.keys).union(restored.keys).sorted() {
            let want = original[partition] ?? []
            let have = restored[partition] ?? []
            if want.count != have.count {
                problems.append("\(target)[\(partition)] holds \(have.count) records, \(source)[\(partition)] \(want.count)")
            }
            for (index, (a, b)) in zip(want, have).enumerated()
            where a.key != b.key || a.value != b.value || a.headers != b.headers || a.timestamp.milliseconds != b.timestamp.milliseconds {
                problems.append("\(target)[\(partition)] record \(index) differs from \(source)[\(partition)] offset \(a.offset)")
            }
        }
        return problems
    }
}

/// Delivery reports arrive on librdkafka's thread; the demo only needs the first failure.
// @unchecked Sendable: the messages are under `lock`.
final class DeliveryFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var first: String? { lock.withLock { messages.first } }
}
