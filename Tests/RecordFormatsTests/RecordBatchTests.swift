import Testing
@testable import RecordFormats

/// Restore decodes a chunk's lines into one reused `RecordBatch`; these check it keeps every
/// record whole beside the others, undoes a bad line, and hands out what the producer needs.
@Suite struct RecordBatchTests {
    func decode(_ line: [UInt8], into batch: inout RecordBatch) throws {
        let failure: RecordLineError? = line.withUnsafeBytes { bytes in
            do throws(RecordLineError) {
                try EnvelopeDecoder.decode(bytes, into: &batch)
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Every record of a batch, read back as a value and through its in-place view.
    func contents(_ batch: RecordBatch) -> (records: [KafkaRecord], views: [KafkaRecord]) {
        let records = (0..<batch.count).map { batch.record(at: $0) }
        let views = batch.withUnsafeRecords { records in
            (0..<records.count).map { i -> KafkaRecord in
                let view = records[i]
                let headers = (0..<view.headerCount).map { h -> RecordHeader in
                    let header = view.header(h)
                    // The name is a C string: its NUL right after its bytes.
                    #expect(UnsafeRawPointer(header.name).load(fromByteOffset: header.nameCount, as: UInt8.self) == 0)
                    let name = Array(UnsafeRawBufferPointer(start: header.name, count: header.nameCount))
                    return RecordHeader(name: name, value: header.value.map { Array($0) })
                }
                // Empty and null differ by the address alone: an empty field must have one.
                if let key = view.key { #expect(key.baseAddress != nil) }
                if let value = view.value { #expect(value.baseAddress != nil) }
                return KafkaRecord(
                    offset: view.offset, timestamp: view.timestamp, timestampType: view.timestampType,
                    key: view.key.map { Array($0) }, value: view.value.map { Array($0) }, headers: headers)
            }
        }
        return (records, views)
    }

    @Test(arguments: [11, 12, 13])
    func linesDecodedIntoOneBatchKeepEveryRecordWhole(seed: UInt64) throws {
        var random = RecordRandom(state: seed)
        let originals = (0..<400).map { _ in random.record() }
        var batch = RecordBatch()
        for record in originals {
            try decode(envelopeLine(record), into: &batch)
        }
        let (records, views) = contents(batch)
        #expect(records == originals)
        #expect(views == originals)
        #expect(batch.offset(at: 7) == originals[7].offset && batch.timestamp(at: 9) == originals[9].timestamp)
    }

    @Test func aBadLineLeavesTheBatchAsItWas() throws {
        var random = RecordRandom(state: 5)
        let first = random.record()
        let second = random.record()
        var batch = RecordBatch()
        try decode(envelopeLine(first), into: &batch)
        let (bytes, headers) = (batch.bytes.count, batch.headers.count)
        // Fails late, after its key, value and a header were appended: bad base64 in the last field.
        let bad =
            #"{"ktape":1,"offset":9,"timestamp":1,"timestampType":"CreateTime","key":"k","value":"v","headers":[{"name":"h","value":"x"}],"extra":0,"keyBase64":"@@@@"}"#
        #expect(throws: RecordLineError.self) {
            try decode(Array(bad.utf8), into: &batch)
        }
        // Nothing of it stays behind, not even unused bytes.
        #expect(batch.count == 1 && batch.bytes.count == bytes && batch.headers.count == headers)
        try decode(envelopeLine(second), into: &batch)
        let (records, views) = contents(batch)
        #expect(records == [first, second])
        #expect(views == [first, second])
    }

    @Test func base64FieldsDecodeInPlaceBesideOthers() throws {
        let binary: [UInt8] = [0xFF, 0x00, 0xFE, 0x80, 0x01]
        let record = KafkaRecord(
            offset: 3, timestamp: 4, timestampType: .logAppendTime, key: binary, value: [],
            headers: [
                RecordHeader(name: Array("n".utf8), value: [0xC3]),
                RecordHeader(name: [0xFF, 0x41], value: nil)
            ])
        let line = envelopeLine(record)
        #expect(String(decoding: line, as: UTF8.self).contains("keyBase64"))
        var batch = RecordBatch()
        for _ in 0..<3 {
            try decode(line, into: &batch)
        }
        let (records, views) = contents(batch)
        #expect(records == [record, record, record])
        #expect(views == records)
    }

    @Test func appendRemoveLastAndReuse() {
        var random = RecordRandom(state: 8)
        let originals = (0..<50).map { _ in random.record() }
        var batch = RecordBatch()
        for record in originals { batch.append(record) }
        batch.removeLast()
        #expect(contents(batch).records == Array(originals.dropLast()))
        batch.append(originals[0])
        #expect(contents(batch).views == Array(originals.dropLast()) + [originals[0]])
        batch.removeAll()
        #expect(batch.isEmpty)
        batch.append(originals[1])
        #expect(contents(batch).views == [originals[1]])
    }

    /// Lines as the encoder writes them take the fast path; any other spelling of the same record
    /// (here a leading space, which sends it to the full parser) decodes to the same record.
    @Test(arguments: [21, 22])
    func theFastPathAndTheFullParserAgree(seed: UInt64) throws {
        var random = RecordRandom(state: seed)
        for _ in 0..<300 {
            let record = random.record()
            let line = envelopeLine(record)
            var fast = RecordBatch()
            let tookFastPath = line.withUnsafeBytes { bytes in
                var parser = EnvelopeParser(cursor: JSONCursor(bytes))
                return parser.parseCanonical(into: &fast)
            }
            #expect(tookFastPath)
            var spaced = RecordBatch()
            let other = [UInt8(ascii: " ")] + line
            let refused = other.withUnsafeBytes { bytes in
                var parser = EnvelopeParser(cursor: JSONCursor(bytes))
                return !parser.parseCanonical(into: &spaced)
            }
            #expect(refused)
            spaced.removeAll()
            try decode(other, into: &spaced)
            #expect(fast.count == 1 && contents(fast).records == [record])
            #expect(contents(spaced).records == [record])
        }
    }
}
