import Failures
import Foundation
import Kafka
import Layout
import RecordFormats

/// The restore's one idempotent producer: records go to explicit partitions, in order, with their
/// CreateTime, key, value and headers as stored. Blocking; call it through `KafkaBlocking.run`.
// @unchecked Sendable: used by one restore task at a time (through KafkaBlocking.run); the ledger has its own lock.
final class RecordProducer: @unchecked Sendable {
    let ledger: DeliveryLedger
    /// Destroyed first in deinit: librdkafka may read lent batches (which the ledger holds) until then.
    private var producer: KafkaProducer!
    private let observer: (any RestoreObserver)?
    private let clock: @Sendable () -> Date
    /// Ends waits for delivery reports that never come (a target that died) or that a signal cut short.
    private var watch: DeliveryWatch!
    private let bootstrapServers: String
    /// Each metadata request for the target topics, within the stall timeout.
    private let learnTimeout: Int32
    private var queued = 0
    /// What the producer was made with, to make it again with a larger queue.
    private var producerConfig: KafkaConfig
    private var learnedTopics: [String] = []

    /// librdkafka's ceiling for `message.max.bytes`.
    static let messageMaxBytesCeiling: Int64 = 1_000_000_000

    /// Made before the plan, as the first thing a restore does, so that connecting and acquiring the
    /// idempotent producer id happen while the store is listed and the plan is checked.
    init(options: RestoreOptions, ledger: DeliveryLedger, observer: (any RestoreObserver)? = nil) throws {
        var config = options.kafka
        // The restore's producer is idempotent, not transactional: with this set, librdkafka refuses
        // the first record, after the plan and the lease.
        if config.value(of: "transactional.id") != nil {
            throw RunFailure.invalidInput(
                "-X transactional.id: restore produces with an idempotent producer, not in transactions; leave it out")
        }
        do {
            // librdkafka would queue up to 1 GiB of records. What it queues is held twice (the batches it
            // reads in place until their records' reports, and their copies in produce requests):
            // 8 MiB keeps a restore of the 64-partition bench at 81-87 MiB (32 MiB: 85-146) and the
            // pipe full (the same time, on two cores, within the runs' noise).
            if config.value(of: "queue.buffering.max.kbytes") == nil {
                try config.set("queue.buffering.max.kbytes", "8192")
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
            let watch = DeliveryWatch(ledger: ledger, options: options)
            producer = try Self.makeProducer(config, ledger: ledger, watch: watch)
            self.watch = watch
        } catch {
            // Making a producer only checks its settings (it connects later), and the Kafka error says
            // whether a rerun cannot cure it, as it does for backup's clients.
            throw RunFailure.wrap(error, "target cluster \(options.kafka.bootstrapServers): cannot make a producer")
        }
        self.ledger = ledger
        self.observer = observer
        producerConfig = config
        clock = options.clock
        learnTimeout = Int32(min(10_000, max(1, options.stallTimeout * 1000)))
        bootstrapServers = options.kafka.bootstrapServers
    }

    private static func makeProducer(_ config: KafkaConfig, ledger: DeliveryLedger, watch: DeliveryWatch) throws -> KafkaProducer {
        let producer = try KafkaProducer(
            config: config, onDelivery: ledger.record, whileQueueFull: { starting in try watch.check(waiting: 1, starting: starting) })
        watch.watching(producer)
        return producer
    }

    /// Makes the producer again with a local queue that holds a record of `bytes` (key and value):
    /// librdkafka refuses a record larger than its queue even when the queue is empty. Called with
    /// nothing queued or unreported, so the new producer id starts no sequence the old one left open.
    /// The queue stays that large for the rest of the run.
    private func enlargeQueue(toHold bytes: Int) throws {
        var config = producerConfig
        try config.set("queue.buffering.max.kbytes", String((bytes + 1023) / 1024))
        producer = nil
        producer = try Self.makeProducer(config, ledger: ledger, watch: watch)
        producerConfig = config
        try learn(topics: learnedTopics)
    }

    deinit {
        // rd_kafka_destroy returns once librdkafka's threads are done with every record; the lent
        // batches (the ledger's) are released only after that, with this object's properties.
        producer = nil
    }

    /// Queues `records` for `target` (those at `indices`, or all when nil), serving delivery reports as
    /// it goes. Stops early (without an error) once a partition has failed; the caller reads the ledger.
    /// The records' bytes are not copied: the batch is lent to librdkafka through the ledger, which
    /// hands it back once every record queued from it has its report.
    func produce(_ records: RecordBatch, _ indices: [Int]?, to target: TopicPartition, destination: Int) throws {
        var topic: KafkaProducer.Topic
        do { topic = try producer.topic(target.topic) } catch {
            throw RunFailure.failure("produce to \(target): \(error)")
        }
        let count = indices?.count ?? records.count
        var n = 0
        var stopped = false
        // One loan per 2^24 records at most (an id holds the index in 24 bits): in practice one.
        while n < count && !stopped {
            let base = indices?[n] ?? n
            let loan = ledger.lend(records, destination: destination, base: base)
            var queued = 0
            defer { ledger.endLending(loan, queued: queued) }
            try records.withUnsafeRecords { records in
                while n < count {
                    let index = indices?[n] ?? n
                    if index - base >= DeliveryLedger.maxRecordsPerLoan { return }
                    guard
                        try produce(
                            records[index], n, id: DeliveryLedger.id(loan: loan, index: index - base), to: &topic, target,
                            queued: &queued)
                    else {
                        stopped = true
                        return
                    }
                    n += 1
                }
            }
        }
        producer.poll(timeoutMilliseconds: 0)
    }

    /// Queues one record, counting it in `queued` the moment librdkafka has it (its loan must not
    /// end before its report, whatever is thrown after); false when a failed delivery means the run
    /// stops. `n` counts this call's records.
    private func produce(
        _ record: RecordView, _ n: Int, id: UInt64, to topic: inout KafkaProducer.Topic, _ target: TopicPartition,
        queued loaned: inout Int
    ) throws -> Bool {
        // Looking every 256 records spares a lock per record.
        if n & 255 == 0, ledger.firstFailure != nil { return false }
        // No timestamp means none was stored (confluent-json): the producer stamps the time of restore.
        let timestamp: Int64? = record.timestampType == .notAvailable || record.timestamp < 0 ? nil : record.timestamp
        func send(_ topic: KafkaProducer.Topic) throws {
            try producer.produce(
                to: topic, partition: target.partition, key: record.key, value: record.value,
                headerCount: record.headerCount,
                header: {
                    let h = record.header($0)
                    return KafkaProducer.HeaderBytes(name: h.name, value: h.value)
                },
                timestamp: timestamp, id: id, copy: false)
        }
        do {
            do {
                try send(topic)
            } catch let refused as KafkaProducer.RecordLargerThanQueue {
                try enlargeQueue(toHold: refused.bytes)
                topic = try producer.topic(target.topic)
                try send(topic)
            }
        } catch let error as RunFailure {
            throw error
        } catch {
            let line = "produce to \(target) (source offset \(record.offset)): \(error)"
            // The producer stopped for what the cluster's ACLs refuse (its producer id), or refused a
            // record above its own message.max.bytes (a -X below it): so will a rerun.
            if let error = error as? KafkaError {
                if error.isConfigurationError { throw RunFailure.invalidInput(line, cause: error) }
                if error.code == .messageTooLarge {
                    throw RunFailure.invalidInput(line + " (-X message.max.bytes is below this record's size)", cause: error)
                }
            }
            throw RunFailure.failure(line, cause: error)
        }
        loaned += 1
        queued += 1
        if let observer {
            do {
                try observer.handedOver(records: queued)
            } catch {
                // Ended as if killed just after these landed, before any state could record them.
                try flush()
                throw ObserverStop(error: error)
            }
        }
        return true
    }

    /// Learns the target topics' partitions now rather than on the first record (see `KafkaProducer.learnTopics`).
    func learn(topics: [String]) throws {
        learnedTopics = topics
        do {
            try producer.learnTopics(topics, timeoutMilliseconds: learnTimeout)
        } catch {
            throw RunFailure.failure("target cluster \(bootstrapServers): \(error)")
        }
    }

    /// Serves delivery reports already waiting.
    func poll() { producer.poll(timeoutMilliseconds: 0) }

    /// Records librdkafka holds that have no delivery report yet.
    var unreported: Int { producer.outqLength }

    /// Waits for every delivery report (or until `timeout` passes), failing once none has come for
    /// the stall timeout, and giving up when the restore is asked to stop (unless `ignoringStop`: a
    /// stopping restore still waits, briefly, for what it has sent, so its state can count it).
    /// `continuing` a wait an earlier call began keeps its stall clock running, so waiting in steps
    /// still ends a stall.
    func flush(ignoringStop: Bool = false, timeout: TimeInterval? = nil, continuing: Bool = false) throws {
        let deadline = timeout.map { clock().addingTimeInterval($0) }
        var starting = !continuing
        while producer.outqLength > 0 {
            try watch.check(waiting: producer.outqLength, ignoringStop: ignoringStop, starting: starting)
            starting = false
            _ = try? producer.flush(timeoutMilliseconds: 500)
            if let deadline, clock() >= deadline { return }
        }
    }

    /// Throws when the restore was asked to stop.
    func checkStop() throws { try watch.checkStop() }
}
