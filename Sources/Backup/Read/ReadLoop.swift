import Failures
import Foundation
import Kafka
import Layout

/// The blocking heart of a run, on its own thread: one `KafkaPartitionReader` with at most
/// `max-open-objects` partitions assigned, each from its exact next offset; as partitions finish,
/// the next ones are assigned. Records are encoded straight from librdkafka's buffers.
final class ReadLoop {
    private let request: BackupRequest
    private let reader: KafkaPartitionReader
    private let admin: KafkaAdmin
    private let writers: [TopicPartition: PartitionWriter]
    private var waiting: [PartitionWriter]
    private var active: [PartitionWriter] = []
    /// Offset-out-of-range answers retention does not explain, per partition.
    private var unexplainedResets: [TopicPartition: Int] = [:]
    private static let resetRetries = 4
    private var formatter: RecordFormatter
    let uploads: UploadQueue

    init(request: BackupRequest, writers: [PartitionWriter], reader: KafkaPartitionReader, admin: KafkaAdmin) {
        self.request = request
        self.reader = reader
        self.admin = admin
        self.writers = Dictionary(writers.map { ($0.partition, $0) }, uniquingKeysWith: { first, _ in first })
        waiting = writers.filter { !$0.isDone }
        let s = request.settings
        formatter = RecordFormatter(format: s.format.value, storeKeys: s.storeKeys.value, storeHeaders: s.storeHeaders.value)
        uploads = UploadQueue(limit: s.concurrency.value)
    }

    /// Reads every partition to its end and waits until every object is durable.
    func run() throws {
        do {
            try readAll()
            try uploads.drain()
        } catch {
            writers.values.forEach { $0.abort() }
            uploads.abandon()
            throw error
        }
    }

    private func readAll() throws {
        // The assignment changes a partition at a time (incrementally), so the partitions still being
        // read keep their prefetched records.
        reader.learn(topics: Set(waiting.map(\.partition.topic)).sorted(), timeoutMilliseconds: 5_000)
        var joining = refill()
        var leaving: [PartitionWriter] = []
        var watchdog = ReadWatchdog(request: request)
        var lookup = WriterLookup()  // the writers never change during the run
        while !active.isEmpty {
            if !leaving.isEmpty {
                try reader.removeFromAssignment(leaving.map(Self.kafkaPartition))
                leaving = []
            }
            if !joining.isEmpty {
                try reader.addToAssignment(joining.map { (Self.kafkaPartition($0), .exact($0.next)) })
                joining = []
            }
            var handled = 0
            try reader.poll(maxEvents: 5000, timeoutMilliseconds: 100) { event in
                switch event {
                case .record(let record):
                    handled += 1
                    try lookup.writer(record.topic, record.partition, in: writers)?.consume(record, formatter: &formatter, uploads: uploads)
                case .endOfPartition(let partition, let nextOffset):
                    handled += 1
                    try writers[TopicPartition(partition.topic, partition.partition)]?.reachedEnd(nextOffset: nextOffset, uploads: uploads)
                case .error(let error):
                    if let moved = try handleRetention(error) {
                        // Read it again from its new start (or drop it, when retention took all that was left).
                        if !leaving.contains(where: { $0 === moved }) { leaving.append(moved) }
                        if !moved.isDone, !joining.contains(where: { $0 === moved }) { joining.append(moved) }
                    } else if error.isFatal {
                        throw RunFailure.failure("read: \(error)")
                    } else {
                        watchdog.lastError = error
                    }
                case .assigned, .revoked:
                    break
                }
            }
            if active.contains(where: \.isDone) {
                for writer in active where writer.isDone && !leaving.contains(where: { $0 === writer }) {
                    leaving.append(writer)
                }
                joining.removeAll(where: \.isDone)
                active.removeAll(where: \.isDone)
                joining += refill()
            }

            try watchdog.check(
                handled: handled,
                waitingFor: {
                    "reading " + RunFailure.partitionList(active.map(\.partition.description))
                }, progress: topicProgress)
        }
        request.progress?(topicProgress())
    }

    /// Activates waiting partitions up to the open-object limit and returns them.
    private func refill() -> [PartitionWriter] {
        var added: [PartitionWriter] = []
        while active.count < max(1, request.settings.maxOpenObjects.value), !waiting.isEmpty {
            let writer = waiting.removeFirst()
            active.append(writer)
            added.append(writer)
        }
        return added
    }

    private static func kafkaPartition(_ writer: PartitionWriter) -> TopicPartition {
        TopicPartition(topic: writer.partition.topic, partition: writer.partition.partition)
    }

    /// An offset-out-of-range error means retention deleted the next offsets while we ran: ask for
    /// the new log start, record the gap loudly and continue there. Returns the partition's writer
    /// when it was one.
    private func handleRetention(_ error: KafkaError) throws -> PartitionWriter? {
        guard error.isOffsetReset,
            let topic = error.topic, let number = error.partition,
            let writer = writers[TopicPartition(topic, number)]
        else { return nil }
        let partition = TopicPartition(topic: topic, partition: number)
        let low: Int64
        do { low = try admin.watermarks(partition, retryingFor: request.stallTimeout).low } catch {
            throw RunFailure.failure("read \(writer.partition): offset \(writer.next) is gone and the log start cannot be read: \(error)")
        }
        let asked = writer.next
        if let gap = try writer.retentionMovedStart(to: low, uploads: uploads) {
            request.warn(RetentionWarning.line(topic: topic, partition: number, gap: gap), topic: topic, partition: number)
        } else if !writer.isDone && writer.next == asked {
            // Out of range without the log start having moved past us: not retention. A leader just
            // elected may say so for a moment (its high watermark behind the old one's): asked again
            // a few times, backing off; beyond that re-assigning would spin until the stall timeout.
            let tries = (unexplainedResets[partition] ?? 0) + 1
            unexplainedResets[partition] = tries
            if tries <= Self.resetRetries {
                usleep(UInt32(200_000 * tries))
                return writer
            }
            throw RunFailure.failure(
                "read \(writer.partition): offset \(writer.next) is out of range but the log starts at \(low) (was the topic deleted and created again, or truncated?)"
            )
        }
        return writer
    }

    func topicProgress() -> [TopicProgress] { TopicProgress.summarise(Array(writers.values)) }
}

/// The loud line a retention gap gets, one per partition.
enum RetentionWarning {
    static func line(topic: String, partition: Int32, gap: OffsetGap) -> String {
        "DATA LOST: topic \(topic) partition \(partition): offsets [\(gap.start), \(gap.end)) (\(gap.end - gap.start) records) "
            + "were deleted by retention before this backup read them; recorded as a gap in the manifest"
    }
}
