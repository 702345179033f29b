/// How a Confluent sink wrote record keys into `.keys.json`: the connector's `key.converter` decides it.
public enum ConfluentKeyStyle: Sendable, Equatable {
    /// `StringConverter`: the key as a JSON string.
    case string
    /// `JsonConverter` (`schemas.enable=false`): the key is itself a JSON value.
    case json
    /// `ByteArrayConverter`: Jackson writes the byte array as a base64 JSON string.
    case base64
}

/// The companion lines Confluent's S3 sink writes beside a JsonFormat `.json` object when
/// `store.kafka.keys` / `store.kafka.headers` are on: `<name>.keys.json` holds one key per line,
/// `<name>.headers.json` one `{"headers":[{"key":"…","value":"…"}]}` per line, both aligned line by line with the
/// values. Like Confluent, a record without a key (or without headers) cannot be written; see docs/formats.md.
public struct ConfluentCompanionCodec {
    private var json = ConfluentJSONCodec()
    private var scratch: [UInt8] = []

    public init() {}

    /// Appends a `.keys.json` line for `key` in `style`.
    public mutating func appendKeyLine(
        key: UnsafeRawBufferPointer?, style: ConfluentKeyStyle,
        to out: inout [UInt8]
    ) throws(RecordLineError) {
        guard let key else { throw RecordLineError(column: 1, reason: .missingKey) }
        switch style {
        case .json:
            try json.appendLine(value: key, to: &out)
        case .base64:
            out.append(UInt8(ascii: "\""))
            Base64.append(key, to: &out)
            out.appendLiteral("\"\n")
        case .string:
            try appendJSONString(key, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// The key bytes a `.keys.json` line carries in `style`.
    public mutating func decodeKeyLine(_ line: UnsafeRawBufferPointer, style: ConfluentKeyStyle) throws(RecordLineError) -> [UInt8] {
        if style == .json { return try json.decodeLine(line) }
        var cursor = JSONCursor(line)
        if let bad = UTF8Validation.invalidIndex(cursor.p, count: cursor.count) { throw cursor.error(.invalidUTF8, at: bad) }
        guard cursor.peekSignificant() == UInt8(ascii: "\"") else {
            throw cursor.error(.wrongType(field: "key", expected: "a string"))
        }
        let (range, hasEscapes) = try cursor.scanString()
        if cursor.peekSignificant() != nil { throw cursor.error(.trailingData) }
        var text: [UInt8] = []
        try cursor.appendUnescaped(range, hasEscapes: hasEscapes, to: &text)
        guard style == .base64 else { return text }
        switch text.withUnsafeBytes({ Base64.decode($0) }) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            throw cursor.error(
                .badBase64(field: "key", reason: failure.reason),
                at: hasEscapes ? range.lowerBound : range.lowerBound + failure.index)
        }
    }

    /// Appends a `.headers.json` line. Header names and values must be UTF-8 (Confluent converts them to strings).
    public func appendHeadersLine(headers: [RecordHeaderView], to out: inout [UInt8]) throws(RecordLineError) {
        guard !headers.isEmpty else { throw RecordLineError(column: 1, reason: .missingHeaders) }
        let mark = out.count
        do throws(RecordLineError) {
            out.appendLiteral("{\"headers\":[")
            for n in headers.indices {
                out.appendLiteral(n == 0 ? "{\"key\":" : ",{\"key\":")
                try appendJSONString(headers[n].name, to: &out)
                out.appendLiteral(",\"value\":")
                if let value = headers[n].value { try appendJSONString(value, to: &out) } else { out.appendLiteral("null") }
                out.append(UInt8(ascii: "}"))
            }
            out.appendLiteral("]}\n")
        } catch {
            out.removeSubrange(mark...)
            throw error
        }
    }

    /// `appendHeadersLine` for owned headers.
    public mutating func appendHeadersLine(headers: [RecordHeader], to out: inout [UInt8]) throws(RecordLineError) {
        // Copy into one contiguous scratch so the views stay valid without nesting closures per header.
        scratch.removeAll(keepingCapacity: true)
        var spans: [(name: Range<Int>, value: Range<Int>?)] = []
        spans.reserveCapacity(headers.count)
        for h in headers {
            let nameStart = scratch.count
            scratch.append(contentsOf: h.name)
            let nameRange = nameStart..<scratch.count
            var valueRange: Range<Int>?
            if let v = h.value {
                let start = scratch.count
                scratch.append(contentsOf: v)
                valueRange = start..<scratch.count
            }
            spans.append((nameRange, valueRange))
        }
        let result: Result<Void, RecordLineError> = scratch.withUnsafeBytes { all in
            let views = spans.map { span in
                RecordHeaderView(
                    name: UnsafeRawBufferPointer(rebasing: all[span.name]),
                    value: span.value.map { UnsafeRawBufferPointer(rebasing: all[$0]) })
            }
            do throws(RecordLineError) { return .success(try appendHeadersLine(headers: views, to: &out)) } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The headers a `.headers.json` line carries, in order.
    public func decodeHeadersLine(_ line: UnsafeRawBufferPointer) throws(RecordLineError) -> [RecordHeader] {
        var c = JSONCursor(line)
        if let bad = UTF8Validation.invalidIndex(c.p, count: c.count) { throw c.error(.invalidUTF8, at: bad) }
        try c.expect(UInt8(ascii: "{"), "'{'")
        let (outer, outerEscaped) = try c.scanString()
        guard !outerEscaped, c.matches(outer, "headers") else {
            throw c.error(.missingField("headers"), at: outer.lowerBound)
        }
        try c.expect(UInt8(ascii: ":"), "':'")
        try c.expect(UInt8(ascii: "["), "'['")
        var headers: [RecordHeader] = []
        if c.peekSignificant() == UInt8(ascii: "]") {
            c.i += 1
        } else {
            repeat {
                try c.expect(UInt8(ascii: "{"), "'{'")
                var name: [UInt8]?
                var value: [UInt8]?
                var sawValue = false
                repeat {
                    let (field, _) = try c.scanString()
                    try c.expect(UInt8(ascii: ":"), "':'")
                    if c.matches(field, "key") {
                        let (r, e) = try c.scanString()
                        var bytes: [UInt8] = []
                        try c.appendUnescaped(r, hasEscapes: e, to: &bytes)
                        name = bytes
                    } else if c.matches(field, "value") {
                        sawValue = true
                        if c.peekSignificant() == UInt8(ascii: "n") {
                            try c.expectLiteral("null")
                        } else {
                            let (r, e) = try c.scanString()
                            var bytes: [UInt8] = []
                            try c.appendUnescaped(r, hasEscapes: e, to: &bytes)
                            value = bytes
                        }
                    } else {
                        throw c.error(
                            .wrongType(field: "headers", expected: "objects with \"key\" and \"value\""),
                            at: field.lowerBound)
                    }
                } while try Self.next(&c, closing: UInt8(ascii: "}"))
                guard let name, sawValue else { throw c.error(.missingField("headers[].key/value")) }
                headers.append(RecordHeader(name: name, value: value))
            } while try Self.next(&c, closing: UInt8(ascii: "]"))
        }
        try c.expect(UInt8(ascii: "}"), "'}'")
        if c.peekSignificant() != nil { throw c.error(.trailingData) }
        return headers
    }

    private static func next(_ c: inout JSONCursor, closing: UInt8) throws(RecordLineError) -> Bool {
        guard let b = c.peekSignificant() else { throw c.unexpected("',' or a closing bracket") }
        c.i += 1
        if b == UInt8(ascii: ",") { return true }
        if b == closing { return false }
        c.i -= 1
        throw c.unexpected("',' or a closing bracket")
    }

    private func appendJSONString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) throws(RecordLineError) {
        if let base = bytes.baseAddress,
            let bad = UTF8Validation.invalidIndex(
                base.assumingMemoryBound(to: UInt8.self),
                count: bytes.count)
        {
            throw RecordLineError(column: bad + 1, reason: .invalidUTF8)
        }
        out.append(UInt8(ascii: "\""))
        JSONStringEscaping.appendEscaped(bytes, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}
