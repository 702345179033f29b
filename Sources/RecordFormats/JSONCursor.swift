/// A forward-only reader over one line of JSON bytes. Columns in its errors are 1-based byte positions.
/// The bytes must outlive the cursor; nothing is copied unless asked for.
struct JSONCursor {
    let p: UnsafePointer<UInt8>
    let count: Int
    var i = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no address; it is never read, but `p` must be a valid pointer, so use a
        // static empty string's storage in the binary.
        p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? ("" as StaticString).utf8Start
        count = bytes.count
    }

    var atEnd: Bool { i >= count }

    func error(_ reason: RecordLineError.Reason, at index: Int? = nil) -> RecordLineError {
        RecordLineError(column: (index ?? i) + 1, reason: reason)
    }

    /// The error for the byte at the cursor (or the end of the line) when `expected` was wanted.
    func unexpected(_ expected: String) -> RecordLineError {
        atEnd ? error(.unexpectedEnd(expected: expected)) : error(.unexpectedByte(p[i], expected: expected))
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < count {
            switch p[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    /// The byte at the cursor after whitespace, or nil at the end.
    @inline(__always)
    mutating func peekSignificant() -> UInt8? {
        skipWhitespace()
        return i < count ? p[i] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(RecordLineError) {
        skipWhitespace()
        guard i < count, p[i] == byte else { throw unexpected(what) }
        i += 1
    }

    /// Consumes `literal` (true, false, null) at the cursor.
    mutating func expectLiteral(_ literal: StaticString) throws(RecordLineError) {
        let n = literal.utf8CodeUnitCount
        guard i + n <= count, memcmpEqual(p + i, literal.utf8Start, n) else { throw unexpected("a JSON value") }
        i += n
    }

    /// Whether the bytes at `range` spell `literal`.
    func matches(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && memcmpEqual(p + range.lowerBound, literal.utf8Start, range.count)
    }

    // MARK: strings

    /// Reads a JSON string at the cursor (after whitespace) and returns the raw range between its quotes,
    /// and whether it holds escapes. Validates escapes and rejects raw control characters.
    mutating func scanString() throws(RecordLineError) -> (range: Range<Int>, hasEscapes: Bool) {
        skipWhitespace()
        guard i < count, p[i] == UInt8(ascii: "\"") else { throw unexpected("a string") }
        i += 1
        let start = i
        var hasEscapes = false
        while i < count {
            // Eight bytes at a time up to the first quote, backslash or control character.
            if i + 8 <= count {
                let stop = JSONWords.quoteBackslashOrControl(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                if stop == 0 {
                    i += 8
                    continue
                }
                i += stop.trailingZeroBitCount >> 3
            }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return (start..<(i - 1), hasEscapes)
            }
            if b < 0x20 { throw error(.controlCharacterInString) }
            if b == UInt8(ascii: "\\") {
                hasEscapes = true
                guard i + 1 < count else { throw error(.unexpectedEnd(expected: "an escape")) }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= count, hexValue(at: i + 2) != nil else { throw error(.badEscape) }
                    i += 6
                default:
                    throw error(.badEscape)
                }
                continue
            }
            i += 1
        }
        throw error(.unexpectedEnd(expected: "the closing quote of a string"))
    }

    /// Reads the JSON string at the cursor (after whitespace) and appends its decoded bytes to `out` in
    /// one pass: what `scanString` then `appendUnescaped` do, for the hot path where every string is
    /// kept. Returns the raw range between the quotes and whether it held escapes. On an error
    /// nothing is appended.
    mutating func readString(appendingTo out: inout [UInt8]) throws(RecordLineError) -> (range: Range<Int>, hasEscapes: Bool) {
        skipWhitespace()
        guard i < count, p[i] == UInt8(ascii: "\"") else { throw unexpected("a string") }
        // The decoded string is never longer than the rest of the line.
        let (end, hasEscapes) = try decodeString(from: i + 1, limit: count, appendingTo: &out)
        let start = i + 1
        i = end + 1
        return (start..<end, hasEscapes)
    }

    /// Appends the decoded bytes of a string range from `scanString` (escapes resolved, surrogate pairs joined).
    func appendUnescaped(_ range: Range<Int>, hasEscapes: Bool, to out: inout [UInt8]) throws(RecordLineError) {
        guard hasEscapes else {
            out.append(contentsOf: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
            return
        }
        // Unescaping only shrinks (`\uXXXX` is 6 bytes for at most 3; a pair 12 for 4): the range is room enough.
        _ = try decodeString(from: range.lowerBound, limit: range.upperBound, appendingTo: &out)
    }

    /// Decodes the string whose first byte (after the opening quote) is at `start`, up to its closing
    /// quote, appending the bytes to `out`; `limit - start` bytes of room are made, so the closing
    /// quote must lie at or before `limit`. Returns the quote's index and whether escapes were seen.
    private func decodeString(from start: Int, limit: Int, appendingTo out: inout [UInt8]) throws(RecordLineError) -> (
        end: Int, hasEscapes: Bool
    ) {
        var k = start
        var hasEscapes = false
        try out.append(addingCapacity: limit - start) { (span) throws(RecordLineError) in
            try span.withUnsafeMutableBufferPointer { (buffer, initialized) throws(RecordLineError) in
                guard let base = buffer.baseAddress else {
                    // No room: only an empty string fits.
                    guard k < count, p[k] == UInt8(ascii: "\"") else {
                        throw error(.unexpectedEnd(expected: "the closing quote of a string"), at: k)
                    }
                    return
                }
                var o = base
                while true {
                    // o - base ≤ k - start throughout, so whole words stay inside the room.
                    JSONWords.copyPlain(p, &k, limit: limit, to: &o, stops: JSONWords.quoteBackslashOrControl)
                    guard k < count else { throw error(.unexpectedEnd(expected: "the closing quote of a string"), at: k) }
                    let b = p[k]
                    // The commonest escape first: JSON text held in a string is full of \".
                    if b == UInt8(ascii: "\\") && k + 1 < count && p[k + 1] == UInt8(ascii: "\"") {
                        hasEscapes = true
                        o.pointee = UInt8(ascii: "\"")
                        o += 1
                        k += 2
                        continue
                    }
                    if b == UInt8(ascii: "\"") { break }
                    if b < 0x20 { throw error(.controlCharacterInString, at: k) }
                    guard b == UInt8(ascii: "\\") else {
                        o.pointee = b
                        o += 1
                        k += 1
                        continue
                    }
                    hasEscapes = true
                    guard k + 1 < count else { throw error(.unexpectedEnd(expected: "an escape"), at: k) }
                    let e = p[k + 1]
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): o.pointee = e
                    case UInt8(ascii: "b"): o.pointee = 0x08
                    case UInt8(ascii: "f"): o.pointee = 0x0C
                    case UInt8(ascii: "n"): o.pointee = 0x0A
                    case UInt8(ascii: "r"): o.pointee = 0x0D
                    case UInt8(ascii: "t"): o.pointee = 0x09
                    case UInt8(ascii: "u"):
                        guard k + 6 <= count, var scalar = hexValue(at: k + 2) else { throw error(.badEscape, at: k) }
                        let escapeStart = k
                        k += 6
                        if scalar >= 0xD800 && scalar <= 0xDBFF {
                            // A high surrogate must be followed by an escaped low surrogate.
                            guard k + 6 <= count, p[k] == UInt8(ascii: "\\"), p[k + 1] == UInt8(ascii: "u"),
                                let low = hexValue(at: k + 2), low >= 0xDC00 && low <= 0xDFFF
                            else { throw error(.loneSurrogate, at: escapeStart) }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            k += 6
                        } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                            throw error(.loneSurrogate, at: escapeStart)
                        }
                        o = Self.putUTF8(scalar, at: o)
                        continue
                    default:
                        throw error(.badEscape, at: k)
                    }
                    o += 1
                    k += 2
                }
                initialized = o - base
            }
        }
        return (k, hasEscapes)
    }

    private static func putUTF8(_ s: UInt32, at o: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        switch s {
        case 0..<0x80:
            o[0] = UInt8(s)
            return o + 1
        case 0x80..<0x800:
            o[0] = UInt8(0xC0 | (s >> 6))
            o[1] = UInt8(0x80 | (s & 0x3F))
            return o + 2
        case 0x800..<0x10000:
            o[0] = UInt8(0xE0 | (s >> 12))
            o[1] = UInt8(0x80 | ((s >> 6) & 0x3F))
            o[2] = UInt8(0x80 | (s & 0x3F))
            return o + 3
        default:
            o[0] = UInt8(0xF0 | (s >> 18))
            o[1] = UInt8(0x80 | ((s >> 12) & 0x3F))
            o[2] = UInt8(0x80 | ((s >> 6) & 0x3F))
            o[3] = UInt8(0x80 | (s & 0x3F))
            return o + 4
        }
    }

    private func hexValue(at index: Int) -> UInt32? {
        var v: UInt32 = 0
        for k in index..<(index + 4) {
            let b = p[k]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    // MARK: numbers

    /// Scans an RFC 8259 number at the cursor and returns its range and whether it is a plain integer.
    mutating func scanNumber() throws(RecordLineError) -> (range: Range<Int>, isInteger: Bool) {
        let start = i
        if i < count, p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < count, isDigit(p[i]) else { throw unexpected("a digit") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < count, isDigit(p[i]) { i += 1 }
        }
        var isInteger = true
        if i < count, p[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < count, isDigit(p[i]) else { throw unexpected("a digit after '.'") }
            while i < count, isDigit(p[i]) { i += 1 }
        }
        if i < count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, isDigit(p[i]) else { throw unexpected("an exponent digit") }
            while i < count, isDigit(p[i]) { i += 1 }
        }
        return (start..<i, isInteger)
    }

    /// Reads a JSON integer that fits in Int64 (no fraction, no exponent).
    mutating func readInt64(field: String) throws(RecordLineError) -> Int64 {
        skipWhitespace()
        let start = i
        guard i < count, p[i] == UInt8(ascii: "-") || isDigit(p[i]) else {
            throw error(.wrongType(field: field, expected: "an integer"))
        }
        let (range, isInteger) = try scanNumber()
        guard isInteger else { throw error(.wrongType(field: field, expected: "an integer"), at: start) }
        var k = range.lowerBound
        let negative = p[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        var magnitude: UInt64 = 0
        while k < range.upperBound {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(p[k] - UInt8(ascii: "0")))
            guard !o1 && !o2 else { throw error(.numberOutOfRange(field: field), at: start) }
            magnitude = s
            k += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw error(.numberOutOfRange(field: field), at: start) }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw error(.numberOutOfRange(field: field), at: start) }
        return Int64(magnitude)
    }

    @inline(__always)
    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

@inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var k = 0
    while k < n {
        if a[k] != b[k] { return false }
        k += 1
    }
    return true
}
