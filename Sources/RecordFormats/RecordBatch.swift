/// Records decoded from one chunk of an object, all their bytes in one buffer, so that decoding a
/// record allocates nothing: restore decodes a gigabyte in millions of records, and two arrays per
/// record (key and value) cost more than the decoding. Emptied with `removeAll` and filled again,
/// batch after batch, it keeps its buffers.
public struct RecordBatch: Sendable {
    /// Where a field's bytes lie in `bytes`; a count of -1 is null.
    struct Span {
        var start: Int
        var count: Int
        static let null = Span(start: 0, count: -1)
    }

    struct Entry {
        var offset: Int64
        var timestamp: Int64
        var timestampType: TimestampType
        /// Where this record's bytes begin in `bytes`.
        var byteStart: Int
        var key: Span
        var value: Span
        /// This record's headers: `headers[headerStart..<headerStart + headerCount]`.
        var headerStart: Int
        var headerCount: Int
    }

    /// A header's name is followed in `bytes` by a NUL (not counted), so it can be handed out as a C string.
    struct Header {
        var name: Span
        var value: Span
    }

    private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []
    private(set) var headers: [Header] = []

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func offset(at index: Int) -> Int64 { entries[index].offset }
    public func timestamp(at index: Int) -> Int64 { entries[index].timestamp }
    public func timestampType(at index: Int) -> TimestampType { entries[index].timestampType }

    /// The record at `index` as a value of its own (copies its bytes).
    public func record(at index: Int) -> KafkaRecord {
        let entry = entries[index]
        return KafkaRecord(
            offset: entry.offset, timestamp: entry.timestamp, timestampType: entry.timestampType,
            key: array(entry.key), value: array(entry.value),
            headers: headers[entry.headerStart..<entry.headerStart + entry.headerCount].map {
                RecordHeader(name: array($0.name) ?? [], value: array($0.value))
            })
    }

    public mutating func append(_ record: KafkaRecord) {
        let mark = self.mark
        let key = appendBytes(record.key)
        let value = appendBytes(record.value)
        for header in record.headers {
            let name = appendBytes(header.name)
            appendNUL()
            appendHeader(name: name, value: appendBytes(header.value))
        }
        appendEntry(
            from: mark, offset: record.offset, timestamp: record.timestamp, timestampType: record.timestampType,
            key: key, value: value)
    }

    /// Drops the last record.
    public mutating func removeLast() {
        let entry = entries.removeLast()
        rollBack(to: Mark(bytes: entry.byteStart, headers: entry.headerStart))
    }

    /// Empties the batch, keeping its buffers for the next one.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
    }

    /// The records' bytes seen in place, valid during `body`.
    public func withUnsafeRecords<T, E: Error>(_ body: (UnsafeRecords) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = bytes.withUnsafeBytes { base in
            entries.withUnsafeBufferPointer { entries in
                headers.withUnsafeBufferPointer { headers in
                    do throws(E) {
                        return .success(try body(UnsafeRecords(base: base, entries: entries, headers: headers)))
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        return try result.get()
    }

    private func array(_ span: Span) -> [UInt8]? {
        span.count < 0 ? nil : Array(bytes[span.start..<span.start + span.count])
    }

    private mutating func appendBytes(_ field: [UInt8]?) -> Span {
        guard let field else { return .null }
        let start = bytes.count
        bytes.append(contentsOf: field)
        return Span(start: start, count: field.count)
    }

    // MARK: filled by the decoder

    /// Where the next decoded record begins, to undo it if its line turns out bad.
    struct Mark {
        var bytes: Int
        var headers: Int
    }

    var mark: Mark { Mark(bytes: bytes.count, headers: headers.count) }

    mutating func rollBack(to mark: Mark) {
        bytes.removeSubrange(mark.bytes...)
        headers.removeSubrange(mark.headers...)
    }

    /// Makes room for `count` bytes in all, no more: for the lines of one piece of a chunk, whose
    /// decoded fields are never longer than their text, so that a reused batch's buffer stays about
    /// a piece's size instead of doubling past it.
    public mutating func reserveAtMost(_ count: Int) {
        if bytes.capacity < count { bytes.reserveCapacity(count) }
    }

    /// Makes room for `count` more bytes, doubling at least, so appends never copy twice.
    mutating func reserve(_ count: Int) {
        let needed = bytes.count + count
        if bytes.capacity < needed { bytes.reserveCapacity(Swift.max(needed, 2 * bytes.capacity)) }
    }

    /// Appends the decoded JSON string at the cursor (its quotes dropped) and says where it went.
    mutating func appendString(from cursor: inout JSONCursor) throws(RecordLineError) -> (Span, range: Range<Int>, hasEscapes: Bool) {
        let start = bytes.count
        let (range, hasEscapes) = try cursor.readString(appendingTo: &bytes)
        return (Span(start: start, count: bytes.count - start), range, hasEscapes)
    }

    /// Replaces the text appended last, at `span`, by its base64 decoding, or says where it is not base64.
    mutating func decodeBase64(_ span: Span) -> (Span, failure: Base64Failure?) {
        // Decoded in place: the output never overtakes the input (3 bytes out per 4 in).
        let result = bytes.withUnsafeMutableBytes { buffer in
            Base64.decodeInPlace(buffer, from: span.start, count: span.count)
        }
        switch result {
        case .success(let decoded):
            bytes.removeSubrange((span.start + decoded)...)
            return (Span(start: span.start, count: decoded), nil)
        case .failure(let failure):
            return (span, failure)
        }
    }

    mutating func appendNUL() { bytes.append(0) }

    mutating func appendHeader(name: Span, value: Span) { headers.append(Header(name: name, value: value)) }

    mutating func appendEntry(
        from mark: Mark, offset: Int64, timestamp: Int64, timestampType: TimestampType,
        key: Span, value: Span
    ) {
        entries.append(
            Entry(
                offset: offset, timestamp: timestamp, timestampType: timestampType, byteStart: mark.bytes,
                key: key, value: value, headerStart: mark.headers, headerCount: headers.count - mark.headers))
    }
}

/// A batch's records seen in place; see `RecordBatch.withUnsafeRecords`.
public struct UnsafeRecords {
    fileprivate let base: UnsafeRawBufferPointer
    fileprivate let entries: UnsafeBufferPointer<RecordBatch.Entry>
    fileprivate let headers: UnsafeBufferPointer<RecordBatch.Header>

    public var count: Int { entries.count }

    public subscript(index: Int) -> RecordView {
        let entry = entries[index]
        return RecordView(
            offset: entry.offset, timestamp: entry.timestamp, timestampType: entry.timestampType,
            key: base.field(entry.key), value: base.field(entry.value),
            headers: UnsafeBufferPointer(rebasing: headers[entry.headerStart..<entry.headerStart + entry.headerCount]),
            base: base)
    }
}

private extension UnsafeRawBufferPointer {
    // nonisolated(unsafe): a constant address of static, read-only bytes; nothing writes through it.
    nonisolated(unsafe) static let emptyAddress = UnsafeRawPointer(("" as StaticString).utf8Start)

    /// A field's bytes in a batch's buffer; an empty field still gets an address (callers tell null from empty by it).
    func field(_ span: RecordBatch.Span) -> UnsafeRawBufferPointer? {
        guard span.count >= 0 else { return nil }
        guard let address = baseAddress else { return UnsafeRawBufferPointer(start: Self.emptyAddress, count: 0) }
        return UnsafeRawBufferPointer(start: address + span.start, count: span.count)
    }
}

/// One record of a batch seen in place.
public struct RecordView {
    public let offset: Int64
    public let timestamp: Int64
    public let timestampType: TimestampType
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?
    fileprivate let headers: UnsafeBufferPointer<RecordBatch.Header>
    fileprivate let base: UnsafeRawBufferPointer

    public var headerCount: Int { headers.count }

    /// Header `index`: its name as a NUL-terminated C string with its length, and its value (nil is null).
    public func header(_ index: Int) -> (name: UnsafePointer<CChar>, nameCount: Int, value: UnsafeRawBufferPointer?) {
        let header = headers[index]
        // The buffer has an address: a header name's NUL is in it.
        let name = (base.baseAddress! + header.name.start).assumingMemoryBound(to: CChar.self)
        return (name, header.name.count, base.field(header.value))
    }
}
