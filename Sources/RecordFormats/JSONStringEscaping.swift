/// Writes valid UTF-8 bytes as the inside of a JSON string, escaping only what must be escaped
/// (`"`, `\`, controls below 0x20) plus U+2028/U+2029, which JavaScript parsers reject raw.
enum JSONStringEscaping {
    /// 0: copy as is; 1: needs an escape; 2: 0xE2, possibly the start of U+2028/U+2029.
    private static let classOf: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        for b in 0..<0x20 { table[b] = 1 }
        table[Int(UInt8(ascii: "\""))] = 1
        table[Int(UInt8(ascii: "\\"))] = 1
        table[0xE2] = 2
        return table
    }()

    private static let hexDigits: StaticString = "0123456789abcdef"
    /// The longest escape (`\u00XX`) per input byte.
    private static let maxExpansion = 6

    /// Appends the escaped form of `bytes`, which must already be valid UTF-8.
    ///
    /// On the backup's hot path (an envelope line holds a JSON value as a string, so every quote
    /// of it is escaped): bytes go straight into the array's spare capacity, eight at a time
    /// while none of them needs an escape.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return }
        let count = bytes.count
        classOf.withUnsafeBufferPointer { table in
            out.append(addingCapacity: count * maxExpansion) { span in
                span.withUnsafeMutableBufferPointer { buffer, initialized in
                    guard let start = buffer.baseAddress else { return }
                    initialized = escape(base, count: count, into: start + initialized, table: table) - start
                }
            }
        }
    }

    /// Escapes `count` bytes at `source` into `target` (room for 6 × count); returns the end written.
    @inline(__always)
    private static func escape(_ source: UnsafePointer<UInt8>, count: Int, into target: UnsafeMutablePointer<UInt8>,
                               table: UnsafeBufferPointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var o = target
        var i = 0
        // Whole words while none needs a look, then that byte; o - target ≤ 6 × i keeps the room.
        while i < count {
            JSONWords.copyPlain(source, &i, limit: count, to: &o, stops: JSONWords.needsEscapeCheck)
            guard i < count else { break }
            // A JSON value held as a string is mostly plain runs between quotes: those go first.
            if source[i] == UInt8(ascii: "\"") {
                o[0] = UInt8(ascii: "\\")
                o[1] = UInt8(ascii: "\"")
                o += 2
                i += 1
                continue
            }
            escapeOne(source, count: count, at: &i, into: &o, table: table)
        }
        return o
    }

    /// Writes the byte at `i` (or the U+2028/U+2029 sequence starting there), escaped if needed.
    @inline(__always)
    private static func escapeOne(_ source: UnsafePointer<UInt8>, count: Int, at i: inout Int,
                                  into o: inout UnsafeMutablePointer<UInt8>, table: UnsafeBufferPointer<UInt8>) {
        let b = source[i]
        switch table[Int(b)] {
        case 0:
            o.pointee = b
            o += 1
            i += 1
        case 2:
            // E2 80 A8 / E2 80 A9 are U+2028 / U+2029; any other E2 sequence passes through.
            if i + 2 < count, source[i + 1] == 0x80, source[i + 2] == 0xA8 || source[i + 2] == 0xA9 {
                o = put(source[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", at: o)
                i += 3
            } else {
                o.pointee = b
                o += 1
                i += 1
            }
        default:
            switch b {
            case UInt8(ascii: "\""): o = put("\\\"", at: o)
            case UInt8(ascii: "\\"): o = put("\\\\", at: o)
            case 0x0A: o = put("\\n", at: o)
            case 0x0D: o = put("\\r", at: o)
            case 0x09: o = put("\\t", at: o)
            case 0x08: o = put("\\b", at: o)
            case 0x0C: o = put("\\f", at: o)
            default:
                o = put("\\u00", at: o)
                let hex = hexDigits.utf8Start
                o[0] = hex[Int(b >> 4)]
                o[1] = hex[Int(b & 0x0F)]
                o += 2
            }
            i += 1
        }
    }

    @inline(__always)
    private static func put(_ text: StaticString, at o: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let n = text.utf8CodeUnitCount
        o.update(from: text.utf8Start, count: n)
        return o + n
    }
}
