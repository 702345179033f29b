/// Strict UTF-8 validation over bytes (RFC 3629): no overlong forms, no surrogates (ED A0..BF), nothing above U+10FFFF.
enum UTF8Validation {
    /// Whether `bytes` is entirely valid UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return invalidIndex(base.assumingMemoryBound(to: UInt8.self), count: bytes.count) == nil
    }

    /// The index of the first byte of the first invalid sequence, or nil when all is valid.
    static func invalidIndex(_ p: UnsafePointer<UInt8>, count: Int) -> Int? {
        var i = 0
        while i < count {
            // ASCII fast path: 32 bytes at a time, then eight, while none has the high bit set.
            while i + 32 <= count {
                let raw = UnsafeRawPointer(p + i)
                let any =
                    raw.loadUnaligned(as: UInt64.self) | raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                    | raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                if any & 0x8080_8080_8080_8080 != 0 { break }
                i += 32
            }
            while i + 8 <= count {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
            guard i < count else { return nil }
            if p[i] < 0x80 {
                i += 1
                continue
            }
            let width = sequenceWidth(p, at: i, count: count)
            guard width > 0 else { return i }
            i += width
        }
        return nil
    }

    /// The length (2...4) of the valid multi-byte sequence that starts at `i` (a byte of 0x80 or
    /// more), or 0 when it is not one.
    @inline(__always)
    static func sequenceWidth(_ p: UnsafePointer<UInt8>, at i: Int, count: Int) -> Int {
        let width: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch p[i] {
        case 0xC2...0xDF: width = 2
        case 0xE0:
            width = 3
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: width = 3
        case 0xED:
            width = 3
            upper = 0x9F  // excludes UTF-16 surrogates
        case 0xF0:
            width = 4
            lower = 0x90
        case 0xF1...0xF3: width = 4
        case 0xF4:
            width = 4
            upper = 0x8F  // nothing above U+10FFFF
        default: return 0
        }
        guard i + width <= count else { return 0 }
        let b1 = p[i + 1]
        guard b1 >= lower && b1 <= upper else { return 0 }
        var k = 2
        while k < width {
            guard p[i + k] & 0xC0 == 0x80 else { return 0 }
            k += 1
        }
        return width
    }
}
