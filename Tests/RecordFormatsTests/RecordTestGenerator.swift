import Foundation
import KtapeTestSupport
@testable import RecordFormats

/// Random records from a seed (SplitMix64): a failing case is rerun from its printed seed.
struct RecordRandom {
    var source: SplitMix64

    init(state: UInt64) {
        source = SplitMix64(state: state)
    }

    mutating func next() -> UInt64 { source.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Pieces that stress the codecs: escapes, controls, NUL, multi-byte UTF-8, U+2028/9, invalid sequences
    /// (a lone surrogate ED A0 80, an overlong C0 AF, a stray continuation byte, a truncated sequence).
    static let pieces: [[UInt8]] = [
        Array("plain".utf8), Array("\"quoted\"".utf8), Array("back\\slash".utf8), [0x00], [0x0A], [0x0D], [0x09],
        [0x08], [0x0C], [0x01], [0x1F], [0x7F], Array("é".utf8), Array("日本".utf8), Array("😀".utf8),
        Array("\u{2028}".utf8), Array("\u{2029}".utf8), Array("\u{2027}".utf8), [0xE2], [0xE2, 0x80],
        [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0x98], Array("/".utf8),
        Array("{\"a\":[1,2]}".utf8), Array(" ".utf8)
    ]

    /// Random bytes: nil sometimes, empty sometimes, else a mix of pieces and raw random bytes.
    mutating func bytes(maxPieces: Int = 12, nullable: Bool = true) -> [UInt8]? {
        switch below(10) {
        case 0 where nullable: return nil
        case 1: return []
        case 2: return (0..<below(40)).map { _ in UInt8(truncatingIfNeeded: next()) }
        default:
            var out: [UInt8] = []
            for _ in 0..<(1 + below(maxPieces)) { out += Self.pieces[below(Self.pieces.count)] }
            return out
        }
    }

    mutating func record() -> KafkaRecord {
        let type = TimestampType.allCases[below(3)]
        let timestamp: Int64 =
            type == .notAvailable
            ? -1
            : [0, 1_700_000_000_000, Int64.max, Int64(bitPattern: next() >> 1)][below(4)]
        let offset: Int64 = [0, Int64.max, Int64(below(1_000_000)), Int64(bitPattern: next() >> 1)][below(4)]
        var headers: [RecordHeader] = []
        for _ in 0..<[0, 0, 1, 2, 5][below(5)] {
            headers.append(RecordHeader(name: bytes(maxPieces: 3, nullable: false) ?? [], value: bytes()))
        }
        if !headers.isEmpty && below(3) == 0 { headers.append(headers[0]) }  // a duplicate, kept in place
        return KafkaRecord(
            offset: offset, timestamp: timestamp, timestampType: type,
            key: bytes(), value: bytes(maxPieces: 40), headers: headers)
    }
}

func envelopeLine(_ record: KafkaRecord) -> [UInt8] {
    var out: [UInt8] = []
    EnvelopeEncoder.append(record, to: &out)
    return out
}

func recordHexBytes(_ hex: Substring) -> [UInt8]? {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let hi = it.next() {
        guard let lo = it.next(), let byte = UInt8(String([hi, lo]), radix: 16) else { return nil }
        out.append(byte)
    }
    return out
}

/// `fixtures/lines/<name>`, found from this file's location.
func recordLineFixture(_ name: String) throws -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/lines").appendingPathComponent(name)
    return try String(contentsOf: url, encoding: .utf8)
}
