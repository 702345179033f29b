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

    /// Appends the decoded bytes of a string range from `scanString` (escapes resolved, surrogate pairs joined).
    func appendUnescaped(_ range: Range<Int>, hasEscapes: Bool, to out: inout [UInt8]) throws(RecordLineError) {
        guard hasEscapes else {
            out.append(contentsOf: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
            return
        }
        var k = range.lowerBound
        var runStart = k
        while k < range.upperBound {
            guard p[k] == UInt8(ascii: "\\") else { k += 1; continue }
            out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: k - runStart))
            let e = p[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hexValue(at: k) else { throw error(.badEscape, at: k - 2) }
                let escapeStart = k - 2
                k += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard k + 6 <= range.upperBound, p[k] == UInt8(ascii: "\\"), p[k + 1] == UInt8(ascii: "u"),
                          let low = hexValue(at: k + 2), low >= 0xDC00 && low <= 0xDFFF
                    else { throw error(.loneSurrogate, at: escapeStart) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error(.loneSurrogate, at: escapeStart)
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e) // " \ /
            }
            runStart = k
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: range.upperBound - runStart))
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

    private func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80:
            out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | s >> 6)); out.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | s >> 12)); out.append(UInt8(0x80 | s >> 6 & 0x3F)); out.append(UInt8(0x80 | s & 0x3F))
        default:
            out.append(UInt8(0xF0 | s >> 18)); out.append(UInt8(0x80 | s >> 12 & 0x3F))
            out.append(UInt8(0x80 | s >> 6 & 0x3F)); out.append(UInt8(0x80 | s & 0x3F))
        }
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
