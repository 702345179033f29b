import Foundation
import Testing
@testable import RecordFormats

@Suite struct ConfluentJSONTests {
    func line(_ value: [UInt8]?) throws(RecordLineError) -> [UInt8] {
        var codec = ConfluentJSONCodec()
        var out: [UInt8] = []
        try codec.appendLine(value: value, to: &out)
        return out
    }

    func line(_ text: String) throws(RecordLineError) -> String {
        String(decoding: try line(Array(text.utf8)), as: UTF8.self)
    }

    static func goldenPairs() throws -> [[String]] {
        var pairs: [[String]] = []
        var pending: String?
        for raw in try recordLineFixture("confluent-json.txt").split(separator: "\n") where !raw.hasPrefix("#") {
            if raw.hasPrefix("value ") {
                pending = String(raw.dropFirst(6))
            } else if raw.hasPrefix("line "), let value = pending {
                pairs.append([value, String(raw.dropFirst(5))])
                pending = nil
            }
        }
        return pairs
    }

    @Test func fixtureHasCases() throws { #expect(try Self.goldenPairs().count >= 7) }

    @Test(arguments: try goldenPairs())
    func compactsToTheGoldenLine(pair: [String]) throws {
        let value = pair[0].hasPrefix("hex:") ? try #require(recordHexBytes(pair[0].dropFirst(4))) : Array(pair[0].utf8)
        let out = try line(value)
        #expect(out == Array((pair[1] + "\n").utf8))
        var codec = ConfluentJSONCodec()
        #expect(try codec.decodeLine(Array(pair[1].utf8)) == Array(pair[1].utf8))
        #expect(try codec.decodeLine(Array((pair[1] + "\r").utf8)) == Array(pair[1].utf8))
    }

    static let valid = [
        "0", "-0", "1.5e-3", "123456789012345678901234567890", "true", "false", "null", "\"\"",
        "\"\\ud83d\\ude00\"", "{}", "[]", "[[]]", "{\"a\":{\"b\":[1,{\"c\":null}]}}",
        "\"日本😀\"", "\"\u{2028}\"", " \t\r\n [ 1 ] \n"
    ]

    @Test(arguments: valid)
    func acceptsValidJSONAndAgreesWithFoundation(text: String) throws {
        let out: [UInt8] = try line(Array(text.utf8))
        #expect(out.last == 0x0A && out.dropLast().firstIndex(of: 0x0A) == nil)
        // Compacting must keep the meaning: Foundation parses both to the same thing.
        let a = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? NSObject
        let b = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? NSObject
        #expect(a == b)
    }

    @Test func acceptsWhatFoundationCannotRepresent() throws {
        // Out-of-double-range numbers and lone surrogate escapes are valid RFC 8259 text; kept as written.
        #expect(try line("[-1E+400, \"\\ud800\"]") == "[-1E+400,\"\\ud800\"]\n")
    }

    static let invalid: [(String, Int)] = [
        ("", 1), (" ", 2), ("01", 2), ("1.", 3), (".5", 1), ("1e", 3), ("+1", 1), ("-", 2), ("0x10", 2),
        ("NaN", 1), ("Infinity", 1), ("tru", 1), ("nul", 1), ("[1,]", 4), ("[1 2]", 4), ("{\"a\" 1}", 6),
        ("{\"a\":1,}", 8), ("{a:1}", 2), ("{'a':1}", 2), ("\"abc", 5), ("\"a\\x\"", 3), ("\"\\u00g0\"", 2),
        ("\"a\tb\"", 3), ("{} {}", 4), ("[1] x", 5), ("[", 2), ("{\"a\":", 6), ("// c\n1", 1), ("1 // c", 3)
    ]

    @Test(arguments: 0..<invalid.count)
    func refusesInvalidJSONWithColumn(index: Int) {
        let (text, column) = Self.invalid[index]
        let error = #expect(throws: RecordLineError.self, "\(text)") { _ = try line(text) }
        #expect(error?.column == column, "\(text): \(String(describing: error))")
    }

    @Test func refusesNullAndNonUTF8AndLeavesTheBufferAlone() {
        var codec = ConfluentJSONCodec()
        var out = Array("kept\n".utf8)
        #expect(throws: RecordLineError(column: 1, reason: .nullValue)) { try codec.appendLine(value: nil as [UInt8]?, to: &out) }
        #expect(throws: RecordLineError(column: 3, reason: .invalidUTF8)) {
            try codec.appendLine(value: [0x22, 0x61, 0xED, 0xA0, 0x80, 0x22], to: &out)
        }
        #expect(throws: RecordLineError.self) { try codec.appendLine(value: Array("[1,2".utf8), to: &out) }
        #expect(out == Array("kept\n".utf8))
    }

    @Test func deepNestingNeedsNoRecursion() throws {
        let depth = 200_000
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(try line(text) == text + "\n")
        #expect(throws: RecordLineError.self) { _ = try line(String(repeating: "[", count: depth)) }
    }

    @Test func randomValuesCompactLikeFoundationReads() throws {
        // Pretty-printed by Foundation, compacted by us, read back: same object.
        var random = RecordRandom(state: 11)
        for _ in 0..<200 {
            var object: [String: Any] = [:]
            for k in 0..<random.below(6) {
                object["k\(k)"] = [random.below(1000), "s\(random.next())", [1.5, "x\n"], ["n": NSNull()]][random.below(4)]
            }
            let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
            let out = try line([UInt8](pretty))
            let back = try JSONSerialization.jsonObject(with: Data(out)) as? NSDictionary
            #expect(back == object as NSDictionary)
            #expect(out.filter { $0 == 0x0A }.count == 1)
        }
    }
}
