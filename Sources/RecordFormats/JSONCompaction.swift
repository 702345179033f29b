extension JSONCursor {
    /// Validates one RFC 8259 value at the cursor and, when `emit` is true, appends it to `out` with insignificant
    /// whitespace removed: keys in their order, numbers and string tokens byte for byte as written.
    /// Iterative (an explicit `stack` of open containers, reused by the caller), so deep nesting cannot
    /// overflow the call stack.
    mutating func compactValue(into out: inout [UInt8], emit: Bool, stack: inout [UInt8]) throws(RecordLineError) {
        stack.removeAll(keepingCapacity: true)
        parsing: while true {
            // A value is expected here.
            guard let b = peekSignificant() else { throw unexpected("a JSON value") }
            switch b {
            case UInt8(ascii: "{"):
                i += 1
                if emit { out.append(b) }
                if peekSignificant() == UInt8(ascii: "}") {
                    i += 1
                    if emit { out.append(UInt8(ascii: "}")) }
                } else {
                    stack.append(b)
                    try compactMemberName(into: &out, emit: emit)
                    continue parsing
                }
            case UInt8(ascii: "["):
                i += 1
                if emit { out.append(b) }
                if peekSignificant() == UInt8(ascii: "]") {
                    i += 1
                    if emit { out.append(UInt8(ascii: "]")) }
                } else {
                    stack.append(b)
                    continue parsing
                }
            case UInt8(ascii: "\""):
                let start = i
                _ = try scanString()
                if emit { out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start)) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (range, _) = try scanNumber()
                if emit { out.append(contentsOf: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count)) }
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                if emit { out.appendLiteral("true") }
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                if emit { out.appendLiteral("false") }
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                if emit { out.appendLiteral("null") }
            default:
                throw unexpected("a JSON value")
            }
            // A value just ended: close containers until one continues with ','.
            while let open = stack.last {
                guard let next = peekSignificant() else { throw unexpected(open == UInt8(ascii: "{") ? "',' or '}'" : "',' or ']'") }
                if next == UInt8(ascii: ",") {
                    i += 1
                    if emit { out.append(next) }
                    if open == UInt8(ascii: "{") { try compactMemberName(into: &out, emit: emit) }
                    continue parsing
                }
                let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard next == close else { throw unexpected(open == UInt8(ascii: "{") ? "',' or '}'" : "',' or ']'") }
                i += 1
                if emit { out.append(close) }
                stack.removeLast()
            }
            return
        }
    }

    /// `"name":` inside an object, copied as written.
    private mutating func compactMemberName(into out: inout [UInt8], emit: Bool) throws(RecordLineError) {
        skipWhitespace()
        let start = i
        _ = try scanString()
        if emit { out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start)) }
        try expect(UInt8(ascii: ":"), "':'")
        if emit { out.append(UInt8(ascii: ":")) }
    }
}
