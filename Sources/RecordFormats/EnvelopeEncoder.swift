/// Writes records as ktape envelope lines (`.ktape.json`), version 1; see docs/formats.md.
/// Byte-exact and deterministic: fields always in one order, compact, one `\n`-terminated line per record.
public enum EnvelopeEncoder {
    /// The envelope format version this encoder writes.
    public static let version: Int64 = 1

    /// Appends the envelope line of `record` (with its trailing `\n`) to `out`.
    public static func append(_ record: KafkaRecord, to out: inout [UInt8]) {
        appendHead(offset: record.offset, timestamp: record.timestamp, timestampType: record.timestampType, to: &out)
        appendOptional(record.key, field: .key, to: &out)
        appendOptional(record.value, field: .value, to: &out)
        if !record.headers.isEmpty {
            out.appendLiteral(",\"headers\":[")
            for (n, header) in record.headers.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                header.name.withUnsafeBytes { appendBytesField(.name, $0, first: true, to: &out) }
                appendOptional(header.value, field: .value, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.appendLiteral("}\n")
    }

    /// Appends an envelope line from borrowed memory (e.g. straight from librdkafka's message), copying nothing
    /// but the output. `key`/`value` nil means null; an empty buffer means empty.
    public static func append(
        offset: Int64, timestamp: Int64, timestampType: TimestampType,
        key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [RecordHeaderView], to out: inout [UInt8]
    ) {
        appendHead(offset: offset, timestamp: timestamp, timestampType: timestampType, to: &out)
        appendBytesField(.key, key, first: false, to: &out)
        appendBytesField(.value, value, first: false, to: &out)
        if !headers.isEmpty {
            out.appendLiteral(",\"headers\":[")
            for n in headers.indices {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                appendBytesField(.name, headers[n].name, first: true, to: &out)
                appendBytesField(.value, headers[n].value, first: false, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.appendLiteral("}\n")
    }

    private static func appendHead(
        offset: Int64, timestamp: Int64, timestampType: TimestampType,
        to out: inout [UInt8]
    ) {
        out.appendLiteral("{\"ktape\":1,\"offset\":")
        out.appendDecimal(offset)
        out.appendLiteral(",\"timestamp\":")
        out.appendDecimal(timestamp)
        switch timestampType {
        case .createTime: out.appendLiteral(",\"timestampType\":\"CreateTime\"")
        case .logAppendTime: out.appendLiteral(",\"timestampType\":\"LogAppendTime\"")
        case .notAvailable: out.appendLiteral(",\"timestampType\":\"NoTimestampType\"")
        }
    }

    /// The bytes fields of the format; each has a text spelling and a base64 spelling.
    enum BytesField {
        case key, value, name

        var text: StaticString {
            switch self {
            case .key: return "\"key\":"
            case .value: return "\"value\":"
            case .name: return "\"name\":"
            }
        }

        var base64: StaticString {
            switch self {
            case .key: return "\"keyBase64\":\""
            case .value: return "\"valueBase64\":\""
            case .name: return "\"nameBase64\":\""
            }
        }
    }

    private static func appendOptional(_ bytes: [UInt8]?, field: BytesField, to out: inout [UInt8]) {
        guard let bytes else { return appendBytesField(field, nil, first: false, to: &out) }
        bytes.withUnsafeBytes { appendBytesField(field, $0, first: false, to: &out) }
    }

    /// `,"F":"text"`, `,"F":null` or `,"FBase64":"..."`; `first` opens a header object instead of the comma.
    static func appendBytesField(
        _ field: BytesField, _ bytes: UnsafeRawBufferPointer?, first: Bool,
        to out: inout [UInt8]
    ) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        guard let bytes else {
            out.appendLiteral(field.text)
            out.appendLiteral("null")
            return
        }
        // Checked and escaped in one pass; bytes that are not UTF-8, or whose text would be more
        // than twice as long (control bytes take six each; base64 four per three), go as base64.
        let mark = out.count
        out.appendLiteral(field.text)
        out.append(UInt8(ascii: "\""))
        if !JSONStringEscaping.appendEscapedIfValidUTF8(bytes, to: &out, growth: bytes.count) {
            out.removeLast(out.count - mark)
            out.appendLiteral(field.base64)
            Base64.append(bytes, to: &out)
        }
        out.append(UInt8(ascii: "\""))
    }
}
