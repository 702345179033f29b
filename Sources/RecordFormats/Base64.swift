/// Standard base64 (RFC 4648 §4, `+/`, with `=` padding), appended to and decoded from byte buffers.
enum Base64 {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// Sextet value of each byte, 0xFF for bytes outside the alphabet.
    private static let sextetOf: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let a = alphabet.utf8Start
        for i in 0..<64 { table[Int(a[i])] = UInt8(i) }
        return table
    }()

    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let a = alphabet.utf8Start
        let count = bytes.count
        out.reserveCapacity(out.count + (count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(a[Int(n >> 18)])
            out.append(a[Int(n >> 12 & 63)])
            out.append(a[Int(n >> 6 & 63)])
            out.append(a[Int(n & 63)])
            i += 3
        }
        switch count - i {
        case 1:
            let n = UInt32(bytes[i]) << 16
            out.append(a[Int(n >> 18)])
            out.append(a[Int(n >> 12 & 63)])
            out.appendLiteral("==")
        case 2:
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(a[Int(n >> 18)])
            out.append(a[Int(n >> 12 & 63)])
            out.append(a[Int(n >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
    }

    /// Decodes canonical padded base64; returns the index (within `text`) of the first offending byte on failure.
    static func decode(_ text: UnsafeRawBufferPointer) -> Result<[UInt8], Base64Failure> {
        var out = Array(text.bindMemory(to: UInt8.self))
        let result = out.withUnsafeMutableBytes { decodeInPlace($0, from: 0, count: $0.count) }
        return result.map {
            out.removeSubrange($0...)
            return out
        }
    }

    /// Decodes the canonical padded base64 text at `buffer[start..<start + count]` onto its own first
    /// bytes (3 out for every 4 in, each group read before it is written) and returns the decoded
    /// length, or the index (within the text) of the first offending byte.
    static func decodeInPlace(_ buffer: UnsafeMutableRawBufferPointer, from start: Int, count: Int) -> Result<Int, Base64Failure> {
        guard count % 4 == 0 else { return .failure(Base64Failure(index: count, reason: "length is not a multiple of 4")) }
        guard count > 0, let base = buffer.baseAddress else { return .success(0) }
        let text = (base + start).assumingMemoryBound(to: UInt8.self)
        return sextetOf.withUnsafeBufferPointer { table -> Result<Int, Base64Failure> in
            var i = 0
            var o = 0
            while i < count {
                let last = i + 4 == count
                let c0 = table[Int(text[i])]
                let c1 = table[Int(text[i + 1])]
                var c2 = table[Int(text[i + 2])]
                var c3 = table[Int(text[i + 3])]
                var pad = 0
                if last && text[i + 3] == UInt8(ascii: "=") {
                    pad = 1
                    c3 = 0
                    if text[i + 2] == UInt8(ascii: "=") {
                        pad = 2
                        c2 = 0
                    }
                }
                if (c0 | c1 | c2 | c3) >= 64 {
                    let k = c0 == 0xFF ? 0 : c1 == 0xFF ? 1 : c2 == 0xFF ? 2 : 3
                    return .failure(Base64Failure(index: i + k, reason: "not a base64 character"))
                }
                let n = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(c2) << 6 | UInt32(c3)
                // Bits hidden under the padding must be zero, so each byte string has one encoding.
                if (pad == 1 && n & 0xFF != 0) || (pad == 2 && n & 0xFFFF != 0) {
                    return .failure(Base64Failure(index: i + 3 - pad, reason: "non-zero bits before padding"))
                }
                text[o] = UInt8(truncatingIfNeeded: n >> 16)
                if pad < 2 { text[o + 1] = UInt8(truncatingIfNeeded: n >> 8) }
                if pad < 1 { text[o + 2] = UInt8(truncatingIfNeeded: n) }
                o += 3 - pad
                i += 4
            }
            return .success(o)
        }
    }
}

/// Where and why base64 text failed to decode.
struct Base64Failure: Error {
    var index: Int
    var reason: String
}
