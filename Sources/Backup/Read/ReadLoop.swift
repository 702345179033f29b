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
        var needsAssign = refill()
        var lastProgress = request.clock()
        var lastReport = Date.distantPast
        var progressMark = Int64(-1)
        var lastError: KafkaError?
        while !active.isEmpty {
            if needsAssign {
                try reader.assign(active.map { (KafkaTopicPartition(topic: $0.partition.topic, partition: $0.partition.partition), .exact($0.next)) })
                needsAssign = false
            }
            try reader.poll(maxEvents: 5000, timeoutMilliseconds: 100) { event in
                switch event {
                case .record(let record):
                    try writers[TopicPartition(record.topic, record.partition)]?.consume(record, formatter: &formatter, uploads: uploads)
                case .endOfPartition(let partition, let nextOffset):
                    try writers[TopicPartition(partition.topic, partition.partition)]?.reachedEnd(nextOffset: nextOffset, uploads: uploads)
                case .error(let error):
                    if try handleRetention(error) { needsAssign = true } else if error.isFatal {
                        throw BackupError.failure("read: \(error)")
                    } else {
                        lastError = error
                    }
                case .assigned, .revoked:
                    break
                }
            }
            if active.contains(where: \.isDone) {
                active.removeAll(where: \.isDone)
                _ = refill()
                needsAssign = !active.isEmpty
            }

            let now = request.clock()
            let mark = writers.values.reduce(0) { $0 + $1.doneOffsets }
            if mark != progressMark {
                progressMark = mark
                lastProgress = now
            } else if now.timeIntervalSince(lastProgress) > request.stallTimeout {
                let stuck = active.map { $0.partition.description }.joined(separator: ", ")
                throw BackupError.failure("no progress for \(Int(request.stallTimeout)) s reading \(stuck)"
                                          + (lastError.map { " (last error: \($0))" } ?? ""))
            }
            if let progress = request.progress, now.timeIntervalSince(lastReport) >= request.progressInterval {
                lastReport = now
                progress(topicProgress())
            }
        }
        request.progress?(topicProgress())
    }

    /// Assigns waiting partitions up to the open-object limit; true when the assignment changed.
    private func refill() -> Bool {
        var changed = false
        while active.count < max(1, request.settings.maxOpenObjects.value), !waiting.isEmpty {
            active.append(waiting.removeFirst())
            changed = true
        }
        return changed
    }

    /// An offset-out-of-range error means retention deleted the next offsets while we ran: ask for
    /// the new log start, record the gap loudly and continue there. True when it was one.
    private func handleRetention(_ error: KafkaError) throws -> Bool {
        guard error.code == .offsetOutOfRange || error.code.name == "_AUTO_OFFSET_RESET",
              let topic = error.topic, let number = error.partition,
              let writer = writers[TopicPartition(topic, number)] else { return false }
        let partition = KafkaTopicPartition(topic: topic, partition: number)
        let low: Int64
        do { low = try admin.watermarks(partition).low } catch {
            throw BackupError.failure("read \(writer.partition): offset \(writer.next) is gone and the log start cannot be read: \(error)")
        }
        if let gap = try writer.retentionMovedStart(to: low, uploads: uploads) {
            request.warn(RetentionWarning.line(topic: topic, partition: number, gap: gap))
        } else if !writer.isDone {
            // Out of range without the log start having moved past us: not retention. Re-assigning
            // the same offset would only spin until the stall timeout, with the cause lost.
            throw BackupError.failure("read \(writer.partition): offset \(writer.next) is out of range but the log starts at \(low) (was the topic deleted and created again, or truncated?)")
        }
        return true
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
