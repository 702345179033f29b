import Testing
@testable import RecordFormats

/// The word-at-a-time escaper and unescaper against byte-at-a-time references, for every alignment
/// of every escape inside and across 8-byte words.
@Suite struct JSONStringEscapingTests {
    static func reference(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                out += Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                i += 3
                continue
            }
            switch b {
            case 0x22: out += Array("\\\"".utf8)
            case 0x5C: out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0..<0x20: out += Array("\\u00".utf8) + Array(String(b, radix: 16).leftPadded(to: 2).utf8)
            default: out.append(b)
            }
            i += 1
        }
        return out
    }

    static func escaped(_ bytes: [UInt8], after prefix: [UInt8] = []) -> [UInt8] {
        var out = prefix
        bytes.withUnsafeBytes { JSONStringEscaping.appendEscaped($0, to: &out) }
        return Array(out.dropFirst(prefix.count))
    }

    @Test func everySpecialByteAtEveryPositionOfTwoWords() {
        let specials: [[UInt8]] = [
            [0x22], [0x5C], [0x00], [0x0A], [0x1F], [0x7F], [0x20], Array("é".utf8), Array("😀".utf8),
            Array("\u{2028}".utf8), Array("\u{2029}".utf8), Array("\u{2027}".utf8)
        ]
        for special in specials {
            for length in 0...20 {
                for position in 0...length {
                    var input = Array(repeating: UInt8(ascii: "a"), count: length)
                    input.insert(contentsOf: special, at: position)
                    #expect(Self.escaped(input) == Self.reference(input), "\(special) at \(position) of \(length)")
                }
            }
        }
    }

    @Test func randomMixesMatchTheReference() throws {
        var random = RecordRandom(state: 0x5EED_2028)
        for round in 0..<3000 {
            var input: [UInt8] = []
            for _ in 0..<random.below(30) {
                if random.below(3) == 0 {
                    input += Array(repeating: UInt8(ascii: "x"), count: random.below(20))
                } else {
                    // Only valid UTF-8 goes in: the caller validates first.
                    let piece = RecordRandom.pieces[random.below(RecordRandom.pieces.count)]
                    if String(validating: piece, as: UTF8.self) != nil { input += piece }
                }
            }
            let prefix = Array(repeating: UInt8(ascii: "p"), count: random.below(5))
            #expect(Self.escaped(input, after: prefix) == Self.reference(input), "round \(round)")
            #expect(try Self.unescaped(Self.quoted(Self.reference(input))) == input, "round \(round)")
        }
    }

    /// The escaper checks UTF-8 as it goes: any bytes, valid or not, are escaped exactly when the
    /// separate validator accepts them, and nothing is appended when it does not.
    @Test func escapingChecksUTF8AsTheValidatorDoes() {
        var random = RecordRandom(state: 0x0BAD_2028)
        let broken: [[UInt8]] = [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x80], [0xFF], [0xC2]]
        for round in 0..<5000 {
            var input: [UInt8] = []
            for _ in 0..<random.below(12) {
                switch random.below(4) {
                case 0: input += Array(repeating: UInt8(ascii: "x"), count: random.below(20))
                case 1: input += broken[random.below(broken.count)]
                default: input += RecordRandom.pieces[random.below(RecordRandom.pieces.count)]
                }
            }
            let valid = input.withUnsafeBytes { UTF8Validation.isValid($0) }
            var out: [UInt8] = [7, 7]
            // Any bound, none (five more bytes per byte) included: taken exactly when valid and inside it.
            let growth = random.below(2) == 0 ? input.count * 5 : random.below(input.count * 2 + 2)
            let accepted = input.withUnsafeBytes { JSONStringEscaping.appendEscapedIfValidUTF8($0, to: &out, growth: growth) }
            let fits = valid && Self.reference(input).count - input.count <= growth
            #expect(accepted == fits, "round \(round): \(input), growth \(growth)")
            #expect(out == [7, 7] + (fits ? Self.reference(input) : []), "round \(round)")
        }
    }

    /// Escapes `bytes` if the checking escaper accepts them: nil when it rejects them, and then it
    /// must have appended nothing.
    static func escapedIfValid(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = [7]
        let accepted = bytes.withUnsafeBytes { JSONStringEscaping.appendEscapedIfValidUTF8($0, to: &out, growth: bytes.count * 5) }
        if !accepted { #expect(out == [7], "\(bytes) was rejected after appending") }
        return accepted ? Array(out.dropFirst()) : nil
    }

    /// Every byte value, alone, at every position of two words: accepted exactly when the standard
    /// library's strict UTF-8 decoding accepts it (bytes 0x80 and up alone never are), escaped as the
    /// reference escapes it.
    @Test func everyByteValueAtEveryPositionOfTwoWords() {
        for value in 0...255 {
            for length in 0...17 {
                for position in [0, 1, 6, 7, 8, 9, 15, 16, 17] where position <= length {
                    var input = Array(repeating: UInt8(ascii: "a"), count: length)
                    input.insert(UInt8(value), at: position)
                    let valid = String(validating: input, as: UTF8.self) != nil
                    #expect(valid == (value < 0x80))
                    #expect(
                        Self.escapedIfValid(input) == (valid ? Self.reference(input) : nil),
                        "\(value) at \(position) of \(length)")
                }
            }
        }
    }

    /// Multi-byte sequences, whole and cut short, ending on each side of a word's end and at the end
    /// of the input: a whole one straddling two words passes, a cut one is rejected wherever it ends.
    @Test func sequencesCutAtWordEnds() {
        let sequences = [Array("é".utf8), Array("日".utf8), Array("😀".utf8), Array("\u{2028}".utf8), Array("\u{10FFFF}".utf8)]
        for sequence in sequences {
            for cut in 1...sequence.count {
                let piece = Array(sequence.prefix(cut))
                for end in 1...17 where end >= cut {
                    for tail in [0, 1, 9] {
                        let input =
                            Array(repeating: UInt8(ascii: "b"), count: end - cut) + piece
                            + Array(repeating: UInt8(ascii: "\""), count: tail)
                        let whole = cut == sequence.count
                        #expect((String(validating: input, as: UTF8.self) != nil) == whole)
                        #expect(
                            Self.escapedIfValid(input) == (whole ? Self.reference(input) : nil),
                            "\(piece) ending at \(end), \(tail) after")
                    }
                }
            }
        }
    }

    /// The reader's side: escapes written as `\uXXXX` (surrogate pairs too) and the short forms, at
    /// every alignment, come back as the bytes they stand for.
    @Test func unescapingEveryFormAtEveryPosition() throws {
        let forms: [(String, [UInt8])] = [
            ("\\\"", [0x22]), ("\\\\", [0x5C]), ("\\/", [0x2F]), ("\\n", [0x0A]), ("\\b", [0x08]),
            ("\\u0041", [0x41]), ("\\u00e9", Array("é".utf8)), ("\\u65E5", Array("日".utf8)),
            ("\\ud83d\\ude00", Array("😀".utf8)), ("\\u2028", Array("\u{2028}".utf8))
        ]
        for (escape, bytes) in forms {
            for length in 0...20 {
                for position in 0...length {
                    var text = Array(repeating: UInt8(ascii: "a"), count: length)
                    var expected = text
                    text.insert(contentsOf: Array(escape.utf8), at: position)
                    expected.insert(contentsOf: bytes, at: position)
                    #expect(try Self.unescaped(Self.quoted(text)) == expected, "\(escape) at \(position) of \(length)")
                }
            }
        }
    }

    static func quoted(_ inside: [UInt8]) -> [UInt8] { [0x22] + inside + [0x22] }

    /// The string decoded both ways (scan then unescape; one pass), which must agree on bytes, range and end.
    static func unescaped(_ line: [UInt8]) throws -> [UInt8] {
        try line.withUnsafeBytes { bytes in
            var cursor = JSONCursor(bytes)
            let (range, hasEscapes) = try cursor.scanString()
            var out: [UInt8] = [9, 9]
            try cursor.appendUnescaped(range, hasEscapes: hasEscapes, to: &out)
            var onePass = JSONCursor(bytes)
            var direct: [UInt8] = [9, 9]
            let (directRange, directEscapes) = try onePass.readString(appendingTo: &direct)
            #expect(direct == out && directRange == range && directEscapes == hasEscapes && onePass.i == cursor.i)
            return Array(out.dropFirst(2))
        }
    }

    /// Both ways refuse the same damage at the same column, and the one-pass way appends nothing then.
    @Test func damagedStringsFailAlikeAtTheSameColumn() {
        let damaged = [
            "\"abc", "\"ab\\", "\"a\\x\"", "\"a\\u12\"", "\"a\\ud800\"", "\"a\\udc00\"", "\"a\u{01}b\"",
            "\"0123456789abcdef\\q\"", "\"0123456789abcdef", "x", ""
        ]
        for text in damaged {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { raw in
                var scanning = JSONCursor(raw)
                var direct = JSONCursor(raw)
                var out: [UInt8] = [7]
                var scanError: RecordLineError?
                do {
                    let (range, escapes) = try scanning.scanString()
                    var sink: [UInt8] = []
                    try scanning.appendUnescaped(range, hasEscapes: escapes, to: &sink)
                } catch { scanError = error as? RecordLineError }
                var directError: RecordLineError?
                do { _ = try direct.readString(appendingTo: &out) } catch { directError = error as? RecordLineError }
                #expect(scanError != nil, "\(text)")
                #expect(directError?.column == scanError?.column, "\(text)")
                #expect(out == [7], "\(text)")
            }
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
