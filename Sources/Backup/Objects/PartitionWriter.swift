import Checksums
import Failures
import Kafka
import Layout

/// One partition's part of a run: turns its records, in offset order, into objects cut at
/// `flush-size` records or before `max-object-bytes`, and accounts for every offset of
/// `[accountedFrom, end)` as an object's span or a gap, so that `verify` can prove coverage.
final class PartitionWriter {
    let plan: PartitionPlan
    var partition: TopicPartition { plan.partition }
    /// The next offset to read.
    private(set) var next: Int64
    /// The first offset not yet accounted for by a closed object or a gap.
    private var cursor: Int64
    private(set) var gaps: [OffsetGap]
    private(set) var isDone = false
    private(set) var records: Int64 = 0
    private(set) var encodedBytes: Int64 = 0
    private(set) var skipped: Int64 = 0

    private let settings: ObjectSettings
    private var open: OpenObject?
    /// The stored checksum of the record at `plan.checkOffset`, until that record is compared.
    private var pendingCheck: String?
    /// The last record read within `lastRecordWindow` of the end, and its checksum: the next run's check.
    private var lastRecord: (offset: Int64, checksum: String)?
    /// How far before the end the last record may be for the next run to compare it: transaction
    /// markers (one per transaction) and aborted records, which read_committed never returns, may follow it.
    static let lastRecordWindow: Int64 = 128

    private struct OpenObject {
        var key: ObjectKey
        var streams: [ObjectStream]
        var firstOffset: Int64
        var lastOffset: Int64
        var spanStart: Int64
        var count: Int64 = 0
        var mainBytes: Int64 = 0
        var minTimestamp: Int64?
        var maxTimestamp: Int64?

        /// Widens the object's time range by a record's timestamp (negative: the record has none).
        mutating func note(timestamp: Int64) {
            ManifestObject.widen(&minTimestamp, &maxTimestamp, by: timestamp)
        }
    }

    init(plan: PartitionPlan, settings: ObjectSettings) {
        self.plan = plan
        self.settings = settings
        next = plan.startFrom
        cursor = plan.readFrom
        gaps = plan.gaps
        isDone = !plan.needsReading
        pendingCheck = plan.lastRecordCheck
    }

    /// CRC64NVME of what makes a record itself: its timestamp, key, value and headers, each with its
    /// length (or absence), whatever the store's format keeps of them (confluent-json: the value).
    static func checksum(_ record: KafkaRecordView) -> String {
        var crc = CRC64NVME()
        func put(_ number: Int64) { withUnsafeBytes(of: number.bigEndian) { crc.update($0) } }
        func put(_ bytes: UnsafeRawBufferPointer?) {
            guard let bytes else { return put(-1) }
            put(Int64(bytes.count))
            crc.update(bytes)
        }
        put(record.timestamp.milliseconds)
        put(record.key)
        put(record.value)
        put(Int64(record.headerCount))
        record.forEachHeader { name, value in
            put(name)
            put(value)
        }
        return crc.base64
    }

    /// Offsets of this run's range already read or skipped, for progress.
    var doneOffsets: Int64 { max(0, next - plan.readFrom) }

    /// Takes one record; `formatter` is the run's shared encoder.
    func consume(_ record: KafkaRecordView, formatter: inout RecordFormatter, uploads: UploadQueue) throws {
        guard !isDone, record.offset >= next else { return }
        if let expected = pendingCheck {
            // The record before the checkpoint, already stored: compared, never written again. One
            // compacted away since leaves nothing to compare.
            if record.offset < plan.readFrom {
                guard record.offset == plan.checkOffset else { return }
                guard Self.checksum(record) == expected else { throw plan.lastRecordFailure() }
                pendingCheck = nil
                next = plan.readFrom
                return
            }
            pendingCheck = nil
            next = plan.readFrom
        }
        guard record.offset < plan.end else { return try finish(uploads: uploads) }
        // Of the record itself, written or skipped: the next run compares it all the same. Only near
        // the end, where the last one is (after it, at most transaction markers).
        if record.offset >= plan.end - Self.lastRecordWindow {
            lastRecord = (record.offset, Self.checksum(record))
        }
        do {
            try formatter.encode(record)
        } catch {
            let place = "topic \(partition.topic) partition \(partition.partition) offset \(record.offset)"
            // The record stays in Kafka as it is: a rerun meets it again, so this is not worth a retry.
            guard settings.onInvalidJSON == .skip else {
                throw RunFailure.invalidInput(
                    "\(place): cannot write as \(settings.format.rawValue): \(error) (on-invalid-json: skip would skip it)"
                ).about(topic: partition.topic, partition: partition.partition)
            }
            skipped += 1
            return try advance(past: record.offset, uploads: uploads)
        }
        let mainLine = Int64(formatter.lines[0].count)
        if let current = open,
            current.count >= settings.flushSize || current.mainBytes + mainLine > settings.maxObjectBytes
        {
            try close(spanEnd: record.offset, uploads: uploads)
        }
        if open == nil { try openObject(at: record.offset, contents: formatter.contents) }
        for (index, line) in formatter.lines.enumerated() { try open?.streams[index].append(line) }
        open?.lastOffset = record.offset
        open?.count += 1
        open?.note(timestamp: record.timestamp.milliseconds)
        open?.mainBytes += mainLine
        records += 1
        encodedBytes += Int64(formatter.byteCount)
        try advance(past: record.offset, uploads: uploads)
    }

    /// The reader reached the partition's end; `nextOffset` at or past `end` finishes it (the end
    /// offset can sit past the last record: transaction markers).
    func reachedEnd(nextOffset: Int64, uploads: UploadQueue) throws {
        if !isDone, nextOffset >= plan.end { try finish(uploads: uploads) }
    }

    /// Retention deleted offsets before we read them: the log now starts at `logStart`. Records
    /// the loss as a gap and continues from there. Returns the gap, if any, for the warning.
    func retentionMovedStart(to logStart: Int64, uploads: UploadQueue) throws -> OffsetGap? {
        if pendingCheck != nil {
            // The record to compare is gone too: nothing to compare, and no gap before `readFrom`.
            pendingCheck = nil
            next = plan.readFrom
        }
        guard !isDone, logStart > next else { return nil }
        try closeOrMarkEmpty(upTo: next, uploads: uploads)
        let gapEnd = min(logStart, plan.end)
        let gap = OffsetGap(start: next, end: gapEnd, reason: .retention)
        gaps.append(gap)
        cursor = gapEnd
        next = gapEnd
        if next >= plan.end { try finish(uploads: uploads) }
        return gap
    }

    /// What the run covered, for the manifest.
    var manifestPartition: ManifestPartition {
        ManifestPartition(
            topic: partition.topic, partition: partition.partition, startOffset: plan.accountedFrom,
            endOffset: isDone ? plan.end : cursor, endOffsetAtStart: plan.end, gaps: gaps,
            lastRecordCrc64nvme: isDone ? lastRecord?.checksum : nil,
            lastRecordOffset: isDone ? lastRecord.flatMap { $0.offset == plan.end - 1 ? nil : $0.offset } : nil)
    }

    /// Abandons the open object (a failed run).
    func abort() {
        open?.streams.forEach { $0.abort() }
        open = nil
    }

    private func advance(past offset: Int64, uploads: UploadQueue) throws {
        next = offset + 1
        if next >= plan.end { try finish(uploads: uploads) }
    }

    private func finish(uploads: UploadQueue) throws {
        try closeOrMarkEmpty(upTo: plan.end, uploads: uploads)
        next = plan.end
        isDone = true
    }

    /// Accounts for `[cursor, upTo)`: the open object's span ends there, or, without one, those
    /// offsets held no record we wrote (markers, or records skipped by `on-invalid-json: skip`).
    private func closeOrMarkEmpty(upTo end: Int64, uploads: UploadQueue) throws {
        if open != nil {
            try close(spanEnd: end, uploads: uploads)
        } else if cursor < end {
            gaps.append(OffsetGap(start: cursor, end: end, reason: .noRecords))
            cursor = end
        }
    }

    private func openObject(at offset: Int64, contents: [ObjectContent]) throws {
        let key = try ObjectKey(
            topic: partition.topic, partition: partition.partition, startOffset: offset,
            kind: ObjectFileKind(contents[0], settings.compression))
        let streams = try contents.enumerated().map { index, content in
            try ObjectStream(
                key: settings.layout.key(for: key.with(kind: ObjectFileKind(content, settings.compression))),
                store: settings.store, options: settings.options, partSize: settings.partSize,
                concurrency: settings.partConcurrency, gzip: settings.gzip,
                sizeHint: index == 0 ? Int(settings.sizes.largestObjectBytes) : 0, buffers: settings.buffers,
                beforeReplacing: settings.beforeReplacing)
        }
        open = OpenObject(key: key, streams: streams, firstOffset: offset, lastOffset: offset, spanStart: cursor)
    }

    private func close(spanEnd: Int64, uploads: UploadQueue) throws {
        guard let object = open else { return }
        open = nil
        settings.sizes.largestObjectBytes = max(settings.sizes.largestObjectBytes, object.mainBytes)
        let tasks = try object.streams.map { stream in (key: stream.key, task: try stream.finish()) }
        try uploads.submit(
            PendingObject(
                key: settings.layout.key(for: object.key), topic: partition.topic, partition: partition.partition,
                firstOffset: object.firstOffset, lastOffset: object.lastOffset, spanStart: object.spanStart,
                spanEnd: spanEnd, recordCount: object.count, minTimestamp: object.minTimestamp, maxTimestamp: object.maxTimestamp,
                uploads: tasks))
        cursor = spanEnd
    }
}
