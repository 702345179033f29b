/// Why a record line could not be encoded or decoded, and at which byte column (1-based) of the line.
/// The caller adds the object key and line number.
public struct RecordLineError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case unexpectedEnd(expected: String)
        case unexpectedByte(UInt8, expected: String)
        case invalidUTF8
        case badEscape
        case loneSurrogate
        case controlCharacterInString
        case wrongType(field: String, expected: String)
        case numberOutOfRange(field: String)
        case unknownVersion(String)
        case missingField(String)
        case duplicateField(String)
        case conflictingFields(String, String)
        case badBase64(field: String, reason: String)
        case unknownTimestampType(String)
        case trailingData
        /// confluent-json: the record value is null (a tombstone), which the format cannot carry.
        case nullValue
        /// confluent-json companion lines: the record has no key / no headers, which Confluent refuses too.
        case missingKey
        case missingHeaders
    }

    /// 1-based byte column in the line (for encoders: in the record's `part`).
    public var column: Int
    public var reason: Reason
    /// Encoders: which part of the record the column is in (`value`, `key`, `headers`), when known.
    public var part: String? = nil

    public init(column: Int, reason: Reason) {
        self.column = column
        self.reason = reason
    }

    public var description: String {
        (part.map { "\($0) " } ?? "") + "column \(column): " + reasonText
    }

    /// The same error, placed in `part` of the record.
    public func located(in part: String) -> RecordLineError {
        var located = self
        located.part = part
        return located
    }

    private var reasonText: String {
        switch reason {
        case .unexpectedEnd(let expected): return "line ends where \(expected) was expected"
        case .unexpectedByte(let b, let expected): return "found \(Self.show(b)) where \(expected) was expected"
        case .invalidUTF8: return "bytes are not valid UTF-8"
        case .badEscape: return "invalid escape sequence in a JSON string"
        case .loneSurrogate: return "\\u escape is a lone UTF-16 surrogate"
        case .controlCharacterInString: return "unescaped control character in a JSON string"
        case .wrongType(let field, let expected): return "field \"\(field)\" must be \(expected)"
        case .numberOutOfRange(let field): return "field \"\(field)\" is out of the 64-bit integer range"
        case .unknownVersion(let v): return "unknown envelope version \(v) (this ktape reads version 1)"
        case .missingField(let f): return "required field \"\(f)\" is missing"
        case .duplicateField(let f): return "field \"\(f)\" appears twice"
        case .conflictingFields(let a, let b): return "fields \"\(a)\" and \"\(b)\" cannot both appear"
        case .badBase64(let field, let why): return "field \"\(field)\" is not valid base64: \(why)"
        case .unknownTimestampType(let t): return "unknown timestampType \"\(t)\" (CreateTime, LogAppendTime or NoTimestampType)"
        case .trailingData: return "unexpected data after the JSON value"
        case .nullValue: return "record value is null; confluent-json cannot store a tombstone"
        case .missingKey: return "record key is null; a .keys.json line needs a key"
        case .missingHeaders: return "record has no headers; a .headers.json line needs at least one"
        }
    }

    private static func show(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        let hex = String(b, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
