/// Writes valid UTF-8 bytes as the inside of a JSON string, escaping only what must be escaped
/// (`"`, `\`, controls below 0x20) plus U+2028/U+2029, which JavaScript parsers reject raw.
enum JSONStringEscaping {
    private static let hexDigits: StaticString = "0123456789abcdef"
    /// The longest escape (`\u00XX`) per input byte.
    private static let maxExpansion = 6

    /// Appends the escaped form of `bytes`, which must already be valid UTF-8.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        _ = appendEscapedIfValidUTF8(bytes, to: &out, growth: bytes.count * (maxExpansion - 1))
    }

    /// Appends the escaped form of `bytes` if they are valid UTF-8 (strict, as `UTF8Validation`) and
    /// it is at most `growth` bytes longer than they are, and returns true; else appends nothing and
    /// returns false. One pass checks and escapes: text that is all ASCII, the usual case, is never
    /// looked at twice. Room for the escaped form is taken up front, so a bound keeps a value of
    /// control bytes (six bytes each escaped) from taking six times its size.
    ///
    /// On the backup's hot path (an envelope line holds a JSON value as a string, so every quote
    /// of it is escaped): bytes go straight into the array's spare capacity, eight at a time
    /// while none of them needs an escape or is outside ASCII.
    static func appendEscapedIfValidUTF8(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8], growth: Int) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return true }
        let count = bytes.count
        let growth = min(growth, count * (maxExpansion - 1))
        var written = false
        out.append(addingCapacity: count + growth) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                guard let start = buffer.baseAddress,
                    let end = escape(base, count: count, growth: growth, into: start + initialized)
                else { return }
                initialized = end - start
                written = true
            }
        }
        return written
    }

    /// Escapes `count` bytes at `source` into `target` (room for count + growth); returns the end
    /// written, or nil at the first byte that does not start a valid UTF-8 sequence or whose escape
    /// would take the text past the room.
    @inline(__always)
    private static func escape(
        _ source: UnsafePointer<UInt8>, count: Int, growth: Int,
        into target: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8>? {
        var o = target
        var i = 0
        // Whole words while none needs a look, then that byte. The text so far is at most `growth`
        // longer than the input read, which leaves room for the rest copied plain (words included).
        while i < count {
            JSONWords.copyPlain(source, &i, limit: count, to: &o, stops: JSONWords.needsEscapeCheck)
            guard i < count else { break }
            let grown = o - target - i
            // A JSON value held as a string is mostly plain runs between quotes: those go first.
            if source[i] == UInt8(ascii: "\"") {
                guard grown < growth else { return nil }
                o[0] = UInt8(ascii: "\\")
                o[1] = UInt8(ascii: "\"")
                o += 2
                i += 1
                continue
            }
            if source[i] >= 0x80 {
                let width = UTF8Validation.sequenceWidth(source, at: i, count: count)
                guard width > 0 else { return nil }
                // E2 80 A8 / E2 80 A9 are U+2028 / U+2029, which JavaScript parsers reject raw.
                if width == 3, source[i] == 0xE2, source[i + 1] == 0x80, source[i + 2] == 0xA8 || source[i + 2] == 0xA9 {
                    guard grown + 3 <= growth else { return nil }
                    o = put(source[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", at: o)
                } else {
                    o.update(from: source + i, count: width)
                    o += width
                }
                i += width
                continue
            }
            guard grown + escapeGrowth(source[i]) <= growth else { return nil }
            escapeOne(source, at: &i, into: &o)
        }
        return o
    }

    /// How much longer `escapeOne` writes the ASCII byte `b` than it is.
    @inline(__always)
    private static func escapeGrowth(_ b: UInt8) -> Int {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09, 0x08, 0x0C: 1
        case 0x00..<0x20: maxExpansion - 1
        default: 0
        }
    }

    /// Writes the ASCII byte at `i` escaped: `"`, `\\` or a control character.
    @inline(__always)
    private static func escapeOne(_ source: UnsafePointer<UInt8>, at i: inout Int, into o: inout UnsafeMutablePointer<UInt8>) {
        let b = source[i]
        switch b {
        case UInt8(ascii: "\""): o = put("\\\"", at: o)
        case UInt8(ascii: "\\"): o = put("\\\\", at: o)
        case 0x0A: o = put("\\n", at: o)
        case 0x0D: o = put("\\r", at: o)
        case 0x09: o = put("\\t", at: o)
        case 0x08: o = put("\\b", at: o)
        case 0x0C: o = put("\\f", at: o)
        case 0x00..<0x20:
            o = put("\\u00", at: o)
            let hex = hexDigits.utf8Start
            o[0] = hex[Int(b >> 4)]
            o[1] = hex[Int(b & 0x0F)]
            o += 2
        default:
            o.pointee = b
            o += 1
        }
        i += 1
    }

    @inline(__always)
    private static func put(_ text: StaticString, at o: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let n = text.utf8CodeUnitCount
        o.update(from: text.utf8Start, count: n)
        return o + n
    }
}
