import Foundation
import Testing
@testable import RecordFormats

@Suite struct RecordUTF8AndBase64Tests {
    func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { UTF8Validation.isValid($0) } }

    @Test func strictUTF8Cases() {
        #expect(valid([]))
        #expect(valid(Array("ascii only, long enough for the 8-byte path".utf8)))
        #expect(
            valid([
                0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80, 0xF0, 0x90, 0x80, 0x80,
                0xF4, 0x8F, 0xBF, 0xBF
            ]))
        for bad: [UInt8] in [
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80],
            [0xBF], [0xFE], [0xFF], [0xE2, 0x82], [0xC2, 0x41], [0xF0, 0x9F, 0x98, 0x41]
        ] {
            #expect(!valid(bad), "\(bad)")
            #expect(!valid(Array("12345678".utf8) + bad + Array("x".utf8)), "\(bad) after ASCII")
        }
    }

    /// The ASCII fast paths (32 and 8 bytes at a time) hand over at every position.
    @Test func faultsAndValidSequencesAtEveryPositionAfterASCII() {
        let ascii = [UInt8](repeating: UInt8(ascii: "a"), count: 80)
        for prefix in 0...70 {
            let before = Array(ascii[..<prefix])
            let after = Array(ascii[..<(80 - prefix)])
            #expect(valid(before + [0xF0, 0x9F, 0x98, 0x80] + after), "valid at \(prefix)")
            #expect(!valid(before + [0xED, 0xA0, 0x80] + after), "surrogate at \(prefix)")
            #expect(!valid(before + [0xC2] + after), "cut sequence at \(prefix)")
        }
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var random = RecordRandom(state: 2026)
        for _ in 0..<20_000 {
            let bytes = random.bytes(maxPieces: 6, nullable: false) ?? []
            #expect(valid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test func base64AgreesWithFoundation() {
        var random = RecordRandom(state: 64)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var out: [UInt8] = []
            bytes.withUnsafeBytes { Base64.append($0, to: &out) }
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString())
            let back = out.withUnsafeBytes { Base64.decode($0) }
            #expect((try? back.get()) == bytes)
        }
    }

    @Test func decimalsIncludingExtremes() {
        for n: Int64 in [0, 7, -1, 10, -10, 1_700_000_000_000, .max, .min] {
            var out: [UInt8] = []
            out.appendDecimal(n)
            #expect(String(decoding: out, as: UTF8.self) == String(n))
        }
    }
}
