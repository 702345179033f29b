import Foundation
import Kafka
import Layout

/// How much of a restore is already in a target partition, confirmed by reading the partition's
/// tail (its end offset is only a hint: transaction markers, late requests of a killed producer).
struct TargetTail: Sendable {
    /// Records at or after the restore's base offset.
    var count: Int64
    /// The last of them, to check it is the source record the count points at.
    var last: Kafka.KafkaRecord?

    /// Reads from just before the end-offset hint to the true end; falls back to reading from `base`
    /// when that finds no record (the hint sat past a marker, or was stale).
    static func read(config: KafkaConfig, target: TopicPartition, base: Int64, endHint: Int64,
                     timeoutSeconds: TimeInterval = 30) throws -> TargetTail {
        let partition = KafkaTopicPartition(topic: target.topic, partition: target.partition)
        let hintStart = max(base, endHint - 1)
        if let last = try lastRecord(config: config, partition: partition, from: hintStart, timeoutSeconds: timeoutSeconds) {
            return TargetTail(count: last.offset - base + 1, last: last)
        }
        if hintStart > base, let last = try lastRecord(config: config, partition: partition, from: base, timeoutSeconds: timeoutSeconds) {
            return TargetTail(count: last.offset - base + 1, last: last)
        }
        return TargetTail(count: 0, last: nil)
    }

    /// The last record at or after `start`, or nil when there is none; reads to end of partition.
    private static func lastRecord(config: KafkaConfig, partition: KafkaTopicPartition, from start: Int64,
                                   timeoutSeconds: TimeInterval) throws -> Kafka.KafkaRecord? {
        let reader = try KafkaPartitionReader(config: config)
        try reader.assign([(partition, .exact(start))])
        var last: Kafka.KafkaRecord?
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            var reachedEnd = false
            var failure: KafkaError?
            try reader.poll(timeoutMilliseconds: 200) { event in
                switch event {
                case .record(let view) where view.partition == partition.partition:
                    // Copy only the latest: earlier ones are overwritten anyway.
                    last = view.copy()
                case .endOfPartition(let p, _) where p == partition:
                    reachedEnd = true
                case .error(let error) where error.isFatal || error.topic == partition.topic:
                    failure = error
                default:
                    break
                }
            }
            if let failure {
                throw RestoreError.failure("reading the tail of target \(partition.topic)/\(partition.partition) from offset \(start): \(failure)")
            }
            if reachedEnd { return last }
        }
        throw RestoreError.failure("reading the tail of target \(partition.topic)/\(partition.partition) from offset \(start): no end of partition within \(Int(timeoutSeconds)) s")
    }
}
