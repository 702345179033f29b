import Testing
@testable import RecordFormats

/// Every record described in `fixtures/lines/envelope.txt` encodes to exactly its golden line, and back.
@Suite struct EnvelopeGoldenTests {
    struct Case: CustomStringConvertible {
        var record: KafkaRecord
        var line: String
        var description: String { line }
    }

    static func bytes(_ spec: Substring) -> [UInt8]?? {
        if spec == "null" { return .some(nil) }
        if spec.hasPrefix("text:") { return .some(Array(spec.dropFirst(5).utf8)) }
        if spec.hasPrefix("hex:") { return recordHexBytes(spec.dropFirst(4)).map { .some($0) } }
        return nil
    }

    static func cases() throws -> [Case] {
        var out: [Case] = []
        var pending: KafkaRecord?
        for raw in try recordLineFixture("envelope.txt").split(separator: "\n", omittingEmptySubsequences: true) {
            if raw.hasPrefix("#") { continue }
            if raw.hasPrefix("line ") {
                guard let record = pending else { throw RecordFixtureError(text: "line without record: \(raw)") }
                out.append(Case(record: record, line: String(raw.dropFirst(5))))
                pending = nil
                continue
            }
            guard raw.hasPrefix("record ") else { throw RecordFixtureError(text: "unknown fixture row: \(raw)") }
            var r = KafkaRecord(offset: 0, timestamp: 0, timestampType: .createTime, key: nil, value: nil)
            for field in raw.dropFirst(7).split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw RecordFixtureError(text: "bad field \(field)") }
                let (name, spec) = (parts[0], parts[1])
                switch name {
                case "offset": r.offset = Int64(spec) ?? .min
                case "timestamp": r.timestamp = Int64(spec) ?? .min
                case "type":
                    r.timestampType = spec == "CreateTime" ? .createTime : spec == "LogAppendTime" ? .logAppendTime : .notAvailable
                case "key", "value":
                    guard let b = bytes(spec) else { throw RecordFixtureError(text: "bad bytes \(spec)") }
                    if name == "key" { r.key = b } else { r.value = b }
                case "header":
                    let hv = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard hv.count == 2, let n = bytes(hv[0]), let name = n, let v = bytes(hv[1]) else {
                        throw RecordFixtureError(text: "bad header \(spec)")
                    }
                    r.headers.append(RecordHeader(name: name, value: v))
                default: throw RecordFixtureError(text: "unknown field \(name)")
                }
            }
            pending = r
        }
        return out
    }

    @Test func fixtureHasCases() throws {
        #expect(try Self.cases().count >= 9)
    }

    @Test(arguments: try cases())
    func encodesToTheGoldenLineAndBack(golden: Case) throws {
        let line = envelopeLine(golden.record)
        #expect(String(decoding: line, as: UTF8.self) == golden.line + "\n")
        #expect(line == Array((golden.line + "\n").utf8))
        #expect(try EnvelopeDecoder.decode(Array(golden.line.utf8)) == golden.record)
    }
}

struct RecordFixtureError: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}
