import Foundation
import Testing
@testable import RecordFormats

@Suite struct EnvelopeRoundTripTests {
    @Test(arguments: [1, 2, 3, 4])
    func thousandsOfRandomRecordsRoundTrip(seed: UInt64) throws {
        var random = RecordRandom(state: seed)
        for n in 0..<1_500 {
            let record = random.record()
            let line = envelopeLine(record)
            #expect(line.last == 0x0A && line.dropLast().firstIndex(of: 0x0A) == nil, "one line, seed \(seed) #\(n)")
            let decoded = try EnvelopeDecoder.decode(line)
            #expect(decoded == record, "seed \(seed) record #\(n): \(String(decoding: line, as: UTF8.self))")
            if decoded != record { return }
        }
    }

    @Test func linesAreValidJSONWhoseTextFieldsMeanTheOriginalBytes() throws {
        // Foundation's parser is an independent oracle for the escaping.
        var random = RecordRandom(state: 77)
        for _ in 0..<500 {
            let record = random.record()
            let line = envelopeLine(record)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(object["ktape"] as? Int == 1)
            // Text when UTF-8 whose escaped form is at most twice as long; base64 otherwise.
            if let key = record.key, let text = String(validating: key, as: UTF8.self),
                JSONStringEscapingTests.reference(key).count <= 2 * key.count
            {
                #expect(object["key"] as? String == text)
            } else if let key = record.key {
                #expect(object["keyBase64"] as? String == Data(key).base64EncodedString())
            } else {
                #expect(object["key"] is NSNull)
            }
            let scalars = String(decoding: line, as: UTF8.self).unicodeScalars
            #expect(!scalars.contains("\u{2028}") && !scalars.contains("\u{2029}"))
        }
    }

    @Test func borrowedViewsEncodeTheSameBytes() {
        var random = RecordRandom(state: 9)
        for _ in 0..<300 {
            let r = random.record()
            var viaViews: [UInt8] = []
            // Copy headers into one buffer, as the consumer sees them in librdkafka's memory.
            let flat = r.headers.flatMap { $0.name + ($0.value ?? []) }
            flat.withUnsafeBytes { all in
                var views: [RecordHeaderView] = []
                var at = 0
                for h in r.headers {
                    let name = UnsafeRawBufferPointer(rebasing: all[at..<(at + h.name.count)])
                    at += h.name.count
                    var value: UnsafeRawBufferPointer?
                    if let v = h.value {
                        value = UnsafeRawBufferPointer(rebasing: all[at..<(at + v.count)])
                        at += v.count
                    }
                    views.append(RecordHeaderView(name: name, value: value))
                }
                func with(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Void) {
                    if let bytes { bytes.withUnsafeBytes { body($0) } } else { body(nil) }
                }
                with(r.key) { key in
                    with(r.value) { value in
                        EnvelopeEncoder.append(
                            offset: r.offset, timestamp: r.timestamp, timestampType: r.timestampType,
                            key: key, value: value, headers: views, to: &viaViews)
                    }
                }
            }
            #expect(viaViews == envelopeLine(r))
        }
    }

    @Test func megabyteValuesRoundTrip() throws {
        var random = RecordRandom(state: 1234)
        let mib = 1 << 20
        let text = (0..<mib).map { _ in UInt8(0x20 + random.below(0x5F)) }
        let binary = (0..<mib).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var withEscapes = Array(repeating: UInt8(ascii: "\""), count: mib)
        withEscapes[mib / 2] = 0x0A
        for value in [text, binary, withEscapes] {
            let record = KafkaRecord(offset: 1, timestamp: 2, timestampType: .createTime, key: nil, value: value)
            #expect(try EnvelopeDecoder.decode(envelopeLine(record)) == record)
        }
    }

    @Test func nullAndEmptyStayDistinct() throws {
        let variants: [[UInt8]?] = [nil, []]
        for key in variants {
            for value in variants {
                for headerValue in variants {
                    let r = KafkaRecord(
                        offset: 0, timestamp: 0, timestampType: .logAppendTime, key: key, value: value,
                        headers: [RecordHeader(name: [], value: headerValue)])
                    #expect(try EnvelopeDecoder.decode(envelopeLine(r)) == r)
                }
            }
        }
    }

    @Test func sameRecordSameBytes() {
        var a = RecordRandom(state: 5)
        var b = RecordRandom(state: 5)
        for _ in 0..<200 { #expect(envelopeLine(a.record()) == envelopeLine(b.record())) }
    }
}
