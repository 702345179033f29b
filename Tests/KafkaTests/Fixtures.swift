import Foundation
import Kafka
import Layout

/// Collects delivery reports handed to a producer's callback.
// @unchecked Sendable: appended to only on the thread that polls the producer, read after the flush.
final class DeliveryLog: @unchecked Sendable {
    private(set) var reports: [KafkaDeliveryReport] = []
    func append(_ report: KafkaDeliveryReport) { reports.append(report) }
}

/// Produces `records` (ids 0…n-1), flushes, and returns the delivery reports.
func produceAll(_ records: [KafkaProducerRecord], config: KafkaConfig) throws -> [KafkaDeliveryReport] {
    let log = DeliveryLog()
    let producer = try KafkaProducer(config: config, onDelivery: log.append)
    for (index, record) in records.enumerated() {
        try producer.produce(record, id: UInt64(index))
    }
    try producer.flush(timeoutMilliseconds: 30_000)
    return log.reports
}

/// What a reader saw before every one of `partitions` reported end of partition.
struct ReadResult {
    var records: [ConsumedRecord] = []
    var endOffsets: [TopicPartition: Int64] = [:]
    var errors: [KafkaError] = []
}

/// Assigns `starts` and reads until each partition has reported EOF (or `timeout` seconds pass).
func readUntilEOF(
    _ starts: [(TopicPartition, KafkaOffset)], config: KafkaConfig,
    timeout: TimeInterval = 20
) throws -> ReadResult {
    let reader = try KafkaPartitionReader(config: config)
    try reader.assign(starts)
    var result = ReadResult()
    let deadline = Date().addingTimeInterval(timeout)
    while result.endOffsets.count < starts.count, Date() < deadline {
        for event in try reader.poll(timeoutMilliseconds: 200) {
            switch event {
            case .record(let record): result.records.append(record)
            case .endOfPartition(let partition, let next): result.endOffsets[partition] = next
            case .error(let error): result.errors.append(error)
            case .assigned, .revoked: break
            }
        }
    }
    return result
}

/// A topic name no other test uses.
func uniqueTopic(_ stem: String) -> String {
    "\(stem)-\(UUID().uuidString.prefix(8))"
}

/// Describes each sent record (matched by its unique timestamp) that did not come back byte-exact; short
/// lines rather than the records themselves, which may be large.
func mismatches(sent: [KafkaProducerRecord], read: [ConsumedRecord]) -> [String] {
    let byTimestamp = Dictionary(read.map { ($0.timestamp.milliseconds, $0) }, uniquingKeysWith: { first, _ in first })
    return sent.compactMap { original in
        guard let timestamp = original.timestamp, let got = byTimestamp[timestamp] else {
            return "record stamped \(original.timestamp ?? -1) missing"
        }
        var wrong = [String]()
        if got.partition != original.partition { wrong.append("partition") }
        if got.key != original.key { wrong.append("key") }
        if got.value != original.value { wrong.append("value") }
        if got.headers != original.headers { wrong.append("headers") }
        if got.timestamp.kind != .createTime { wrong.append("timestamp type") }
        return wrong.isEmpty ? nil : "record stamped \(timestamp): \(wrong.joined(separator: ", ")) differ"
    }
}
