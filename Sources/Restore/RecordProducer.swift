import Foundation
import Kafka
import Layout

/// The restore's one idempotent producer: records go to explicit partitions, in order, with their
/// CreateTime, key, value and headers as stored. Blocking; call it through `KafkaBlocking.run`.
final class RecordProducer: @unchecked Sendable {
    let ledger: DeliveryLedger
    private let producer: KafkaProducer
    private let stopAfterDeliveries: Int?
    private let bootstrapServers: String
    private var queued = 0

    /// librdkafka's ceiling for `message.max.bytes`.
    static let messageMaxBytesCeiling: Int64 = 1_000_000_000

    /// Made before the plan, as the first thing a restore does, so that connecting and acquiring the
    /// idempotent producer id happen while the store is listed and the plan is checked.
    init(options: RestoreOptions, ledger: DeliveryLedger) throws {
        var config = options.kafka
        do {
            // librdkafka would queue up to 1 GiB of records; 64 MiB keeps memory bounded and the pipe full.
            if config.value(of: "queue.buffering.max.kbytes") == nil {
                try config.set("queue.buffering.max.kbytes", "65536")
            }
            // Idempotent and gapless: a batch that failed must not be followed by later ones, or the
            // target would have a hole that resume (which counts records in the target) cannot see.
            try config.set("enable.idempotence", "true")
            if config.value(of: "enable.gapless.guarantee") == nil {
                try config.set("enable.gapless.guarantee", "true")
            }
            // Any record the store holds must fit (the plan checks the target topic's own limit); this
            // caps requests, not batches, which `batch.size` keeps at 1 MB.
            if config.value(of: "message.max.bytes") == nil {
                try config.set("message.max.bytes", String(Self.messageMaxBytesCeiling))
            }
            producer = try KafkaProducer(config: config, onDelivery: ledger.record)
        } catch {
            throw RestoreError.failure("target cluster \(options.kafka.bootstrapServers): cannot make a producer: \(error)")
        }
        self.ledger = ledger
        stopAfterDeliveries = options.stopAfterDeliveries
        bootstrapServers = options.kafka.bootstrapServers
    }

    /// Queues `records` for `target` (those at `indices`, or all when nil), serving delivery reports as
    /// it goes. Stops early (without an error) once a partition has failed; the caller reads the ledger.
    func produce(_ records: RecordBatch, _ indices: [Int]?, to target: TopicPartition, slot: Int) throws {
        let topic: KafkaProducer.Topic
        do { topic = try producer.topic(target.topic) } catch {
            throw RestoreError.failure("produce to \(target): \(error)")
        }
        try records.withUnsafeRecords { records in
            if let indices {
                for (n, index) in indices.enumerated() { guard try produce(records[index], n, to: topic, target, slot: slot) else { return } }
            } else {
                for index in 0..<records.count { guard try produce(records[index], index, to: topic, target, slot: slot) else { return } }
            }
        }
        producer.poll(timeoutMilliseconds: 0)
    }

    /// Queues one record; false when a failed delivery means the run stops. `n` counts this call's records.
    private func produce(_ record: RecordView, _ n: Int, to topic: KafkaProducer.Topic, _ target: TopicPartition, slot: Int) throws -> Bool {
        // Looking every 256 records spares a lock per record.
        if n & 255 == 0, ledger.firstFailure != nil { return false }
        // No timestamp means none was stored (confluent-json): the producer stamps the time of restore.
        let timestamp: Int64? = record.timestampType == .notAvailable || record.timestamp < 0 ? nil : record.timestamp
        do {
            try producer.produce(to: topic, partition: target.partition, key: record.key, value: record.value,
                                 headerCount: record.headerCount,
                                 header: { let h = record.header($0); return KafkaProducer.HeaderBytes(name: h.name, value: h.value) },
                                 timestamp: timestamp, id: DeliveryLedger.id(slot: slot, sourceOffset: record.offset))
        } catch {
            throw RestoreError.failure("produce to \(target) (source offset \(record.offset)): \(error)")
        }
        queued += 1
        if let stop = stopAfterDeliveries, queued >= stop {
            // Killed just after these landed, before any state could record them: the hardest case.
            try flush()
            throw SimulatedKill()
        }
        return true
    }

    /// Learns the target topics' partitions now rather than on the first record (see `KafkaProducer.learnTopics`).
    func learn(topics: [String]) throws {
        do {
            try producer.learnTopics(topics)
        } catch {
            throw RestoreError.failure("target cluster \(bootstrapServers): \(error)")
        }
    }

    /// Serves delivery reports already waiting.
    func poll() { producer.poll(timeoutMilliseconds: 0) }

    /// Waits for every delivery report.
    func flush() throws {
        do {
            try producer.flush(timeoutMilliseconds: 120_000)
        } catch {
            throw RestoreError.failure("waiting for delivery reports: \(error)")
        }
    }
}

/// Thrown by the `stopAfterDeliveries` test hook: the run ends as if killed (no flush, no final state).
public struct SimulatedKill: Error, CustomStringConvertible {
    public var description: String { "restore stopped by the test hook (as if killed)" }
}
