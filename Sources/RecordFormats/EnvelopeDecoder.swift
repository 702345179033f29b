/// Reads ktape envelope lines (`.ktape.json`) back into records; see docs/formats.md.
/// Exact about types and the version, tolerant of field order, JSON whitespace and unknown fields (skipped).
public enum EnvelopeDecoder {
    /// Decodes one line (with or without its trailing `\n`).
    public static func decode(_ line: [UInt8]) throws(RecordLineError) -> KafkaRecord {
        let result: Result<KafkaRecord, RecordLineError> = line.withUnsafeBytes { bytes in
            do throws(RecordLineError) { return .success(try decode(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes one line (with or without its trailing `\n`) from borrowed memory.
    public static func decode(_ line: UnsafeRawBufferPointer) throws(RecordLineError) -> KafkaRecord {
        var batch = RecordBatch()
        try decode(line, into: &batch)
        return batch.record(at: 0)
    }

    /// Decodes one line (with or without its trailing `\n`) onto the end of `batch`; a bad line leaves
    /// `batch` as it was.
    public static func decode(_ line: UnsafeRawBufferPointer, into batch: inout RecordBatch) throws(RecordLineError) {
        var cursor = JSONCursor(line)
        if let bad = UTF8Validation.invalidIndex(cursor.p, count: cursor.count) {
            throw cursor.error(.invalidUTF8, at: bad)
        }
        // Decoded fields are never longer than their text, and a header name's NUL takes a closing quote's place.
        batch.reserve(line.count)
        let mark = batch.mark
        var fast = EnvelopeParser(cursor: cursor)
        if fast.parseCanonical(into: &batch) { return }
        batch.rollBack(to: mark)
        do throws(RecordLineError) {
            var parser = EnvelopeParser(cursor: cursor)
            try parser.parseRecord(into: &batch)
            cursor = parser.cursor
            if cursor.peekSignificant() != nil { throw cursor.error(.trailingData) }
        } catch {
            batch.rollBack(to: mark)
            throw error
        }
    }
}

/// The grammar of one envelope object over a `JSONCursor`.
struct EnvelopeParser {
    var cursor: JSONCursor
    /// Reused for containers of skipped unknown fields and for rare escaped names.
    private var stack: [UInt8] = []
    private var discard: [UInt8] = []

    init(cursor: JSONCursor) { self.cursor = cursor }

    private enum Field: UInt16 {
        case ktape = 1
        case offset = 2
        case timestamp = 4
        case timestampType = 8
        case key = 16
        case keyBase64 = 32
        case
            value = 64
        case valueBase64 = 128
        case headers = 256
        case name = 512
        case nameBase64 = 1024
        case unknown = 0

        var label: String {
            switch self {
            case .ktape: return "ktape"
            case .offset: return "offset"
            case .timestamp: return "timestamp"
            case .timestampType: return "timestampType"
            case .key: return "key"
            case .keyBase64: return "keyBase64"
            case .value: return "value"
            case .valueBase64: return "valueBase64"
            case .headers: return "headers"
            case .name: return "name"
            case .nameBase64: return "nameBase64"
            case .unknown: return "?"
            }
        }
    }

    /// Appends the record to `batch`; on an error, what it appended is left for the caller to roll back.
    mutating func parseRecord(into batch: inout RecordBatch) throws(RecordLineError) {
        try cursor.expect(UInt8(ascii: "{"), "'{'")
        let objectStart = cursor.i - 1
        var seen: UInt16 = 0
        var offset: Int64 = 0
        var timestamp: Int64 = 0
        var timestampType = TimestampType.createTime
        var key = RecordBatch.Span.null
        var value = RecordBatch.Span.null
        let mark = batch.mark
        if cursor.peekSignificant() == UInt8(ascii: "}") {
            cursor.i += 1
        } else {
            repeat {
                var (field, at) = try memberName()
                if field == .name || field == .nameBase64 { field = .unknown }  // header-only names
                try markSeen(field, at: at, in: &seen)
                switch field {
                case .ktape:
                    cursor.skipWhitespace()
                    let start = cursor.i
                    let version = try cursor.readInt64(field: "ktape")
                    guard version == EnvelopeEncoder.version else {
                        throw cursor.error(.unknownVersion(String(version)), at: start)
                    }
                case .offset: offset = try cursor.readInt64(field: "offset")
                case .timestamp: timestamp = try cursor.readInt64(field: "timestamp")
                case .timestampType: timestampType = try self.timestampType()
                case .key, .keyBase64: key = try bytes(field, into: &batch)
                case .value, .valueBase64: value = try bytes(field, into: &batch)
                case .headers: try headers(into: &batch)
                default: try skipValue()
                }
            } while try nextMember()
        }
        let head: UInt16 =
            Field.ktape.rawValue | Field.offset.rawValue | Field.timestamp.rawValue
            | Field.timestampType.rawValue
        if seen & head != head {
            let missing: Field =
                seen & Field.ktape.rawValue == 0
                ? .ktape
                : seen & Field.offset.rawValue == 0
                    ? .offset
                    : seen & Field.timestamp.rawValue == 0 ? .timestamp : .timestampType
            throw cursor.error(.missingField(missing.label), at: objectStart)
        }
        if seen & (Field.key.rawValue | Field.keyBase64.rawValue) == 0 {
            throw cursor.error(.missingField("key"), at: objectStart)
        }
        if seen & (Field.value.rawValue | Field.valueBase64.rawValue) == 0 {
            throw cursor.error(.missingField("value"), at: objectStart)
        }
        batch.appendEntry(from: mark, offset: offset, timestamp: timestamp, timestampType: timestampType, key: key, value: value)
    }

    /// A line exactly as EnvelopeEncoder writes it (its field order, no whitespace), as nearly every
    /// line read is: the fixed parts are compared in place instead of each member name being scanned
    /// and classified. True when the record was appended; false at the first difference or error,
    /// and the caller then rolls back and parses the line in full (which finds any error): what this
    /// accepts, that parses alike.
    mutating func parseCanonical(into batch: inout RecordBatch) -> Bool {
        let mark = batch.mark
        do throws(RecordLineError) {
            guard take("{\"ktape\":1,\"offset\":") else { return false }
            let offset = try cursor.readInt64(field: "offset")
            guard take(",\"timestamp\":") else { return false }
            let timestamp = try cursor.readInt64(field: "timestamp")
            let timestampType: TimestampType
            if take(",\"timestampType\":\"CreateTime\"") {
                timestampType = .createTime
            } else if take(",\"timestampType\":\"LogAppendTime\"") {
                timestampType = .logAppendTime
            } else if take(",\"timestampType\":\"NoTimestampType\"") {
                timestampType = .notAvailable
            } else {
                return false
            }
            guard let key = try canonicalBytes(",\"key\":", ",\"keyBase64\":", .key, .keyBase64, into: &batch),
                let value = try canonicalBytes(",\"value\":", ",\"valueBase64\":", .value, .valueBase64, into: &batch)
            else { return false }
            if take(",\"headers\":") { try headers(into: &batch) }
            guard take("}"), cursor.peekSignificant() == nil else { return false }
            batch.appendEntry(from: mark, offset: offset, timestamp: timestamp, timestampType: timestampType, key: key, value: value)
            return true
        } catch {
            return false
        }
    }

    /// Consumes `literal` when the line continues with it.
    private mutating func take(_ literal: StaticString) -> Bool {
        guard cursor.i + literal.utf8CodeUnitCount <= cursor.count,
            cursor.matches(cursor.i..<cursor.i + literal.utf8CodeUnitCount, literal)
        else { return false }
        cursor.i += literal.utf8CodeUnitCount
        return true
    }

    /// A bytes field in either spelling, nil when the line has neither next.
    private mutating func canonicalBytes(
        _ text: StaticString, _ base64: StaticString, _ textField: Field, _ base64Field: Field,
        into batch: inout RecordBatch
    ) throws(RecordLineError) -> RecordBatch.Span? {
        if take(text) { return try bytes(textField, into: &batch) }
        if take(base64) { return try bytes(base64Field, into: &batch) }
        return nil
    }

    private mutating func headers(into batch: inout RecordBatch) throws(RecordLineError) {
        guard cursor.peekSignificant() == UInt8(ascii: "[") else {
            throw cursor.error(.wrongType(field: "headers", expected: "an array"))
        }
        cursor.i += 1
        if cursor.peekSignificant() == UInt8(ascii: "]") {
            cursor.i += 1
            return
        }
        repeat {
            try header(into: &batch)
            guard let b = cursor.peekSignificant() else { throw cursor.unexpected("',' or ']'") }
            cursor.i += 1
            if b == UInt8(ascii: "]") { return }
            guard b == UInt8(ascii: ",") else {
                cursor.i -= 1
                throw cursor.unexpected("',' or ']'")
            }
        } while true
    }

    private mutating func header(into batch: inout RecordBatch) throws(RecordLineError) {
        guard cursor.peekSignificant() == UInt8(ascii: "{") else {
            throw cursor.error(.wrongType(field: "headers", expected: "an array of objects"))
        }
        let objectStart = cursor.i
        cursor.i += 1
        var seen: UInt16 = 0
        var name = RecordBatch.Span.null
        var value = RecordBatch.Span.null
        if cursor.peekSignificant() == UInt8(ascii: "}") {
            cursor.i += 1
        } else {
            repeat {
                let (field, at) = try memberName()
                switch field {
                case .name, .nameBase64:
                    try markSeen(field, at: at, in: &seen)
                    name = try bytes(field, into: &batch)
                    guard name.count >= 0 else {
                        throw cursor.error(.wrongType(field: field.label, expected: "a string"), at: at)
                    }
                    // A C string for the producer; never part of the name.
                    batch.appendNUL()
                case .value, .valueBase64:
                    try markSeen(field, at: at, in: &seen)
                    value = try bytes(field, into: &batch)
                default:
                    try skipValue()
                }
            } while try nextMember()
        }
        if seen & (Field.name.rawValue | Field.nameBase64.rawValue) == 0 {
            throw cursor.error(.missingField("headers[].name"), at: objectStart)
        }
        if seen & (Field.value.rawValue | Field.valueBase64.rawValue) == 0 {
            throw cursor.error(.missingField("headers[].value"), at: objectStart)
        }
        batch.appendHeader(name: name, value: value)
    }

    /// After a member: true on ',', false on '}'.
    private mutating func nextMember() throws(RecordLineError) -> Bool {
        guard let b = cursor.peekSignificant() else { throw cursor.unexpected("',' or '}'") }
        if b == UInt8(ascii: ",") {
            cursor.i += 1
            return true
        }
        if b == UInt8(ascii: "}") {
            cursor.i += 1
            return false
        }
        throw cursor.unexpected("',' or '}'")
    }

    private mutating func markSeen(_ field: Field, at: Int, in seen: inout UInt16) throws(RecordLineError) {
        guard field != .unknown else { return }
        if seen & field.rawValue != 0 { throw cursor.error(.duplicateField(field.label), at: at) }
        let partner: Field? =
            switch field {
            case .key: .keyBase64
            case .keyBase64: .key
            case .value: .valueBase64
            case .valueBase64: .value
            case .name: .nameBase64
            case .nameBase64: .name
            default: nil
            }
        if let partner, seen & partner.rawValue != 0 {
            throw cursor.error(.conflictingFields(partner.label, field.label), at: at)
        }
        seen |= field.rawValue
    }

    /// Reads `"name":` and says which field it is (and where it started).
    private mutating func memberName() throws(RecordLineError) -> (Field, Int) {
        cursor.skipWhitespace()
        let at = cursor.i
        let (range, hasEscapes) = try cursor.scanString()
        try cursor.expect(UInt8(ascii: ":"), "':'")
        if !hasEscapes { return (classify(range), at) }
        // Rare: a name written with escapes; compare its decoded bytes.
        discard.removeAll(keepingCapacity: true)
        try cursor.appendUnescaped(range, hasEscapes: true, to: &discard)
        let field = discard.withUnsafeBytes { bytes -> Field in
            let c = JSONCursor(bytes)
            return EnvelopeParser.classify(c, 0..<bytes.count)
        }
        return (field, at)
    }

    private func classify(_ range: Range<Int>) -> Field { Self.classify(cursor, range) }

    private static func classify(_ c: JSONCursor, _ r: Range<Int>) -> Field {
        switch r.count {
        case 3: return c.matches(r, "key") ? .key : .unknown
        case 4: return c.matches(r, "name") ? .name : .unknown
        case 5: return c.matches(r, "ktape") ? .ktape : c.matches(r, "value") ? .value : .unknown
        case 6: return c.matches(r, "offset") ? .offset : .unknown
        case 7: return c.matches(r, "headers") ? .headers : .unknown
        case 9: return c.matches(r, "timestamp") ? .timestamp : c.matches(r, "keyBase64") ? .keyBase64 : .unknown
        case 10: return c.matches(r, "nameBase64") ? .nameBase64 : .unknown
        case 11: return c.matches(r, "valueBase64") ? .valueBase64 : .unknown
        case 13: return c.matches(r, "timestampType") ? .timestampType : .unknown
        default: return .unknown
        }
    }

    private mutating func timestampType() throws(RecordLineError) -> TimestampType {
        guard cursor.peekSignificant() == UInt8(ascii: "\"") else {
            throw cursor.error(.wrongType(field: "timestampType", expected: "a string"))
        }
        let at = cursor.i
        let (range, hasEscapes) = try cursor.scanString()
        if !hasEscapes {
            // The common case compares in place: no allocation per record.
            if cursor.matches(range, "CreateTime") { return .createTime }
            if cursor.matches(range, "LogAppendTime") { return .logAppendTime }
            if cursor.matches(range, "NoTimestampType") { return .notAvailable }
        }
        var text: [UInt8] = []
        try cursor.appendUnescaped(range, hasEscapes: hasEscapes, to: &text)
        switch String(decoding: text, as: UTF8.self) {
        case "CreateTime": return .createTime
        case "LogAppendTime": return .logAppendTime
        case "NoTimestampType": return .notAvailable
        case let other: throw cursor.error(.unknownTimestampType(other), at: at)
        }
    }

    /// A bytes field's value, appended to `batch`: null or text for the plain spelling, base64 text for
    /// the `…Base64` one.
    private mutating func bytes(_ field: Field, into batch: inout RecordBatch) throws(RecordLineError) -> RecordBatch.Span {
        let isBase64 = field == .keyBase64 || field == .valueBase64 || field == .nameBase64
        guard let b = cursor.peekSignificant() else { throw cursor.unexpected("a value") }
        if b == UInt8(ascii: "n") && !isBase64 {
            try cursor.expectLiteral("null")
            return .null
        }
        guard b == UInt8(ascii: "\"") else {
            throw cursor.error(.wrongType(field: field.label, expected: isBase64 ? "a base64 string" : "a string or null"))
        }
        let (text, range, hasEscapes) = try batch.appendString(from: &cursor)
        guard isBase64 else { return text }
        let (decoded, failure) = batch.decodeBase64(text)
        if let failure {
            // Without escapes the text maps 1:1 onto the line, so the column is exact.
            let column = hasEscapes ? range.lowerBound : range.lowerBound + failure.index
            throw cursor.error(.badBase64(field: field.label, reason: failure.reason), at: column)
        }
        return decoded
    }

    private mutating func skipValue() throws(RecordLineError) {
        try cursor.compactValue(into: &discard, emit: false, stack: &stack)
    }
}
