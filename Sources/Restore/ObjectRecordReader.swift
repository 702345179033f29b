import Failures
import Foundation
import Layout
import ObjectStore
import RecordFormats

/// Decodes one data object into records, batch by batch: envelope lines byte-exact, confluent-json
/// values with keys and headers from `.keys.json` / `.headers.json` companions kept line by line in step.
/// Used by one task at a time: each `next()` is awaited before the next one starts.
// @unchecked Sendable: its decoding state is used by one task at a time: each next() is awaited before the next starts.
final class ObjectRecordReader: @unchecked Sendable {
    /// Records decoded from one chunk; `damage` is the first bad line, after which nothing was decoded.
    struct Batch: Sendable {
        var records: RecordBatch
        var damage: RunFailure?
        /// A record of the object so far had LogAppendTime (it is restored as CreateTime).
        var logAppendTime = false
    }

    let object: SourceObject
    private let values: ObjectLineReader
    private let keys: ObjectLineReader?
    private let headers: ObjectLineReader?
    private let keyStyle: ConfluentKeyStyle
    private let batchSize: Int
    private var json = ConfluentJSONCodec()
    private var companionCodec = ConfluentCompanionCodec()
    private var linesDecoded = 0
    private var previousOffset: Int64?
    private var sawLogAppendTime = false

    private init(
        object: SourceObject, values: ObjectLineReader, keys: ObjectLineReader?, headers: ObjectLineReader?,
        keyStyle: ConfluentKeyStyle, batchSize: Int
    ) {
        self.object = object
        self.values = values
        self.keys = keys
        self.headers = headers
        self.keyStyle = keyStyle
        self.batchSize = batchSize
    }

    static func open(_ object: SourceObject, store: any ObjectStore, options: RestoreOptions) async throws -> ObjectRecordReader {
        // A gzip chunk can inflate tenfold or more; smaller ones keep the lines of one chunk small.
        func chunkSize(gzip: Bool) -> Int { gzip ? min(options.chunkSize, 1 << 20) : options.chunkSize }
        func reader(_ key: String?, recorded: ObjectLineReader.Recorded?) async throws -> ObjectLineReader? {
            guard let key else { return nil }
            let gzip = key.hasSuffix(".gz")
            return try await ObjectLineReader.open(key, store: store, gzip: gzip, chunkSize: chunkSize(gzip: gzip), recorded: recorded)
        }
        let values = try await ObjectLineReader.open(
            object.key, store: store, gzip: object.isGzip,
            chunkSize: chunkSize(gzip: object.isGzip),
            recorded: object.manifest?.checksumToCheck.map { ObjectLineReader.Recorded(size: object.listedBytes, checksum: $0) })
        let isEnvelope = object.isEnvelope
        return ObjectRecordReader(
            object: object, values: values,
            keys: isEnvelope ? nil : try await reader(object.keysCompanion, recorded: object.keysCompanionRecorded),
            headers: isEnvelope ? nil : try await reader(object.headersCompanion, recorded: object.headersCompanionRecorded),
            keyStyle: options.keyStyle, batchSize: options.batchSize)
    }

    /// Fills `batch` (emptied first, its buffers kept) with the next batch; false at the end of the object.
    func next(into batch: inout Batch) async throws -> Bool {
        batch.records.removeAll()
        batch.damage = nil
        defer { batch.logAppendTime = sawLogAppendTime }
        if keys == nil && headers == nil { return try await nextWithoutCompanions(&batch) }
        guard let lines = try await values.nextLines() else {
            if let keys, !(try await keys.take(1)).isEmpty {
                throw RunFailure.corrupt(keys.key, line: keys.linesRead, "has more lines than its data object \(object.key)")
            }
            try checkRecordCount()
            return false
        }
        let keyLines = try await companionLines(keys, count: lines.count)
        let headerLines = try await companionLines(headers, count: lines.count)
        for (index, line) in lines.enumerated() {
            let lineNumber = linesDecoded + 1
            do {
                try line.withUnsafeBytes {
                    try decode(
                        $0, key: keyLines?[index], headers: headerLines?[index], lineNumber: lineNumber,
                        into: &batch.records)
                }
            } catch let error as RunFailure {
                batch.damage = error
                return true
            }
            linesDecoded += 1
        }
        return true
    }

    /// Lines decoded straight from the chunk (no copy per line): the common case.
    private func nextWithoutCompanions(_ batch: inout Batch) async throws -> Bool {
        var records = batch.records
        var damage: RunFailure?
        // The closure may not capture `batch` (inout); its parts go back below.
        defer {
            batch.records = records
            batch.damage = damage
        }
        batch.records = RecordBatch()
        let more = try await values.forEachLineOfNextPiece(budget: batchSize, sizing: { records.reserveAtMost($0) }) { line in
            guard damage == nil else { return }
            do {
                try decode(line, key: nil, headers: nil, lineNumber: linesDecoded + 1, into: &records)
                linesDecoded += 1
            } catch {
                damage = error as? RunFailure ?? RunFailure.corrupt(object.key, line: linesDecoded + 1, "\(error)")
            }
        }
        if !more { try checkRecordCount() }
        return more
    }

    private func checkRecordCount() throws {
        if let expected = object.manifest?.recordCount, expected != Int64(linesDecoded) {
            throw RunFailure.corrupt(
                object.key, line: linesDecoded + 1, "the object ends after \(linesDecoded) records; its manifest says \(expected)")
        }
    }

    private func companionLines(_ reader: ObjectLineReader?, count: Int) async throws -> [[UInt8]]? {
        guard let reader else { return nil }
        let lines = try await reader.take(count)
        guard lines.count == count else {
            throw RunFailure.corrupt(
                reader.key, line: reader.linesRead + 1,
                "ends before its data object \(object.key) (line \(linesDecoded + lines.count + 1))")
        }
        return lines
    }

    /// Decodes one line onto the end of `batch`; a bad line leaves `batch` as it was.
    private func decode(
        _ line: UnsafeRawBufferPointer, key: [UInt8]?, headers: [UInt8]?, lineNumber: Int,
        into batch: inout RecordBatch
    ) throws {
        if object.isEnvelope {
            do { try EnvelopeDecoder.decode(line, into: &batch) } catch {
                throw RunFailure.corrupt(object.key, line: lineNumber, error.description)
            }
            do { try checkOffset(batch.offset(at: batch.count - 1), lineNumber: lineNumber) } catch {
                batch.removeLast()
                throw error
            }
            if batch.timestampType(at: batch.count - 1) == .logAppendTime { sawLogAppendTime = true }
            return
        }
        // A name near Int64.max (a damaged or hostile object) must be an error line, not an overflow trap.
        let (offset, overflow) = confluentOffset(lineNumber: lineNumber)
        if overflow || offset == Int64.max {
            throw RunFailure.corrupt(object.key, line: lineNumber, "offset past the largest Kafka offset")
        }
        var record = RecordFormats.KafkaRecord(offset: offset, timestamp: -1, timestampType: .notAvailable, key: nil, value: nil)
        do { record.value = try json.decodeLine(line) } catch {
            throw RunFailure.corrupt(object.key, line: lineNumber, error.description)
        }
        if let key, let keyObject = keys?.key {
            do { record.key = try key.withUnsafeBytes { try companionCodec.decodeKeyLine($0, style: keyStyle) } } catch {
                if keyStyle == .string, let line = error as? RecordLineError, case .wrongType = line.reason {
                    // A key that is a JSON value but not a string: the sink's key.converter was not StringConverter.
                    throw RunFailure.invalidInput(
                        "object \(keyObject) line \(lineNumber): \(error); a Confluent sink whose key.converter is JsonConverter writes keys as JSON values: pass --key-converter json (or bytearray for ByteArrayConverter)"
                    )
                }
                throw RunFailure.corrupt(keyObject, line: lineNumber, "\(error)")
            }
        }
        if let headers, let headersObject = self.headers?.key {
            do { record.headers = try headers.withUnsafeBytes { try companionCodec.decodeHeadersLine($0) } } catch {
                throw RunFailure.corrupt(headersObject, line: lineNumber, "\(error)")
            }
        }
        batch.append(record)
    }

    /// The source offset a confluent-json line stands for. Such lines carry no offset: line n is the
    /// object's start offset + n - 1, exact when its offsets have no gaps. When the manifest says they
    /// have (its offsets span more than its records: compaction, transaction markers), where the gaps
    /// lie is unknown, and the lines after the first are placed as late as the span allows, so a
    /// consumer group offset inside the object translates to the fewest records certainly before it:
    /// its consumers may read some records again, but never miss one.
    private func confluentOffset(lineNumber: Int) -> (Int64, overflow: Bool) {
        let start = object.name.startOffset
        if lineNumber > 1, let manifest = object.manifest, manifest.firstOffset == start, manifest.recordCount > 1 {
            // Overflow-safe: a damaged manifest must give an error line, not a trap.
            let (span, overflow) = manifest.lastOffset.subtractingReportingOverflow(start)
            if !overflow && span >= manifest.recordCount {
                return manifest.lastOffset.subtractingReportingOverflow(manifest.recordCount - Int64(lineNumber))
            }
        }
        return start.addingReportingOverflow(Int64(lineNumber - 1))
    }

    /// Offsets rise inside an object and stay inside what its name and manifest say.
    private func checkOffset(_ offset: Int64, lineNumber: Int) throws {
        let low = object.manifest?.firstOffset ?? object.name.startOffset
        // The next offset (offset + 1) must exist too: Int64.max is no record's offset.
        if offset == Int64.max {
            throw RunFailure.corrupt(object.key, line: lineNumber, "offset \(offset) is past the largest Kafka offset")
        }
        if offset < low || (object.manifest.map { offset > $0.lastOffset } ?? false) {
            throw RunFailure.corrupt(
                object.key, line: lineNumber,
                "offset \(offset) lies outside the object's offsets [\(low), \(object.manifest.map { String($0.lastOffset) } ?? "…")]")
        }
        if let previousOffset, offset <= previousOffset {
            throw RunFailure.corrupt(
                object.key, line: lineNumber, "offset \(offset) does not follow offset \(previousOffset) of the line before")
        }
        previousOffset = offset
    }
}
