import Testing
@testable import Layout

/// The word-at-a-time escaper against a byte-at-a-time reference, for every alignment of every
/// escape inside and across 8-byte words.
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
        let specials: [[UInt8]] = [[0x22], [0x5C], [0x00], [0x0A], [0x1F], [0x7F], [0x20], Array("é".utf8), Array("😀".utf8),
                                   Array("\u{2028}".utf8), Array("\u{2029}".utf8), Array("\u{2027}".utf8)]
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

    @Test func randomMixesMatchTheReference() {
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
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
