import Foundation
import Testing
@testable import RecordFormats

/// Damaged lines (flipped, dropped, inserted bytes) never crash the decoders: they either throw a
/// `RecordLineError` or decode to something that itself round-trips.
@Suite struct EnvelopeMutationTests {
    static func mutate(_ line: [UInt8], _ random: inout RecordRandom) -> [UInt8] {
        var out = line
        for _ in 0..<(1 + random.below(3)) where !out.isEmpty {
            let at = random.below(out.count)
            let interesting: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x2C, 0x20, 0x30, 0x2D, 0x75, 0x00, 0xFF, 0xED]
            switch random.below(3) {
            case 0: out[at] = interesting[random.below(interesting.count)]
            case 1: out.remove(at: at)
            default: out.insert(interesting[random.below(interesting.count)], at: at)
            }
        }
        return out
    }

    @Test func damagedEnvelopeLinesFailCleanlyOrRoundTrip() {
        var random = RecordRandom(state: 31337)
        var failures = 0
        for _ in 0..<4_000 {
            let damaged = Self.mutate(envelopeLine(random.record()), &random)
            do {
                let record = try EnvelopeDecoder.decode(damaged)
                #expect(try EnvelopeDecoder.decode(envelopeLine(record)) == record)
            } catch {
                failures += 1
                #expect(error.column >= 1 && error.column <= damaged.count + 1, "\(error)")
            }
        }
        #expect(failures > 2_000)  // most damage must be noticed
    }

    @Test func damagedJSONValuesFailCleanlyOrStayValid() throws {
        var random = RecordRandom(state: 4242)
        var codec = ConfluentJSONCodec()
        let seeds = [#"{"a":[1,-0.5e3,"x\"y",true,null,{"b":{}}],"c":"\u00e9"}"#, #"[[],[{}],"s",0]"#, #"  "str"  "#]
        for _ in 0..<4_000 {
            let damaged = Self.mutate(Array(seeds[random.below(seeds.count)].utf8), &random)
            var out: [UInt8] = []
            do {
                try codec.appendLine(value: damaged, to: &out)
                // Whatever was accepted must read back to itself.
                #expect(try codec.decodeLine(out) == Array(out.dropLast()))
            } catch {
                #expect(out.isEmpty)
                #expect(error.column >= 1 && error.column <= damaged.count + 1, "\(error)")
            }
        }
    }
    /// An envelope line as JSONDecoder reads it, for comparison: only what docs/formats.md says a
    /// line holds; which of `F` and `FBase64` is present is the decoder's check, not this one's.
    struct ReferenceLine: Decodable {
        struct Header: Decodable {
            var name: String?
            var nameBase64: String?
            var value: String?
            var valueBase64: String?
        }
        var ktape: Int
        var offset: Int64
        var timestamp: Int64
        var timestampType: String
        var key: String?
        var keyBase64: String?
        var value: String?
        var valueBase64: String?
        var headers: [Header]?

        static func bytes(_ text: String?, _ base64: String?) -> [UInt8]? {
            if let text { return Array(text.utf8) }
            return base64.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        }

        var record: KafkaRecord {
            let types: [String: TimestampType] = [
                "CreateTime": .createTime, "LogAppendTime": .logAppendTime, "NoTimestampType": .notAvailable
            ]
            return KafkaRecord(
                offset: offset, timestamp: timestamp, timestampType: types[timestampType] ?? .notAvailable,
                key: Self.bytes(key, keyBase64), value: Self.bytes(value, valueBase64),
                headers: (headers ?? []).map {
                    RecordHeader(name: Self.bytes($0.name, $0.nameBase64) ?? [], value: Self.bytes($0.value, $0.valueBase64))
                })
        }
    }

    /// Every damaged line the decoder accepts is valid JSON, and JSONDecoder reads the same record
    /// from it: damage is never read as other bytes, and nothing outside JSON is taken.
    @Test func acceptedDamagedLinesReadAsJSONDecoderReadsThem() throws {
        var random = RecordRandom(state: 2026_12_05)
        var accepted = 0
        for round in 0..<30_000 {
            let damaged = Self.mutate(envelopeLine(random.record()), &random)
            guard let record = try? EnvelopeDecoder.decode(damaged) else { continue }
            accepted += 1
            let reference = try #require(
                try? JSONDecoder().decode(ReferenceLine.self, from: Data(damaged)),
                "round \(round): JSONDecoder refuses \(String(decoding: damaged, as: UTF8.self))")
            #expect(reference.ktape == 1)
            #expect(record == reference.record, "round \(round): \(String(decoding: damaged, as: UTF8.self))")
        }
        // Damage inside a string or to whitespace leaves a valid line: those are the ones compared.
        #expect(accepted > 500)
    }
}
