import Testing
@testable import RecordFormats

/// `.keys.json` and `.headers.json` lines as Confluent's sink writes them with JsonFormat.
@Suite struct ConfluentJSONCompanionTests {
    func keyLine(_ key: [UInt8]?, _ style: ConfluentKeyStyle) throws(RecordLineError) -> String {
        var codec = ConfluentCompanionCodec()
        var out: [UInt8] = []
        let result: Result<Void, RecordLineError> = {
            guard let key else {
                do throws(RecordLineError) { try codec.appendKeyLine(key: nil, style: style, to: &out) } catch {
                    return .failure(error)
                }
                return .success(())
            }
            return key.withUnsafeBytes { bytes in
                do throws(RecordLineError) { try codec.appendKeyLine(key: bytes, style: style, to: &out) } catch {
                    return .failure(error)
                }
                return .success(())
            }
        }()
        try result.get()
        return String(decoding: out, as: UTF8.self)
    }

    func decodeKey(_ line: String, _ style: ConfluentKeyStyle) throws -> [UInt8] {
        var codec = ConfluentCompanionCodec()
        return try Array(line.utf8).withUnsafeBytes { try codec.decodeKeyLine($0, style: style) }
    }

    @Test func keyLinesPerConverter() throws {
        #expect(try keyLine(Array("user \"1\"".utf8), .string) == "\"user \\\"1\\\"\"\n")
        #expect(try keyLine(Array(" {\"id\": 7} ".utf8), .json) == "{\"id\":7}\n")
        #expect(try keyLine([0x00, 0x01, 0xFF], .base64) == "\"AAH/\"\n")
        #expect(try decodeKey("\"user \\\"1\\\"\"", .string) == Array("user \"1\"".utf8))
        #expect(try decodeKey("{\"id\":7}\r", .json) == Array("{\"id\":7}".utf8))
        #expect(try decodeKey("\"AAH/\"", .base64) == [0x00, 0x01, 0xFF])
    }

    @Test func keyLinesRefuseWhatConfluentRefuses() {
        #expect(throws: RecordLineError(column: 1, reason: .missingKey)) { _ = try keyLine(nil, .string) }
        #expect(throws: RecordLineError(column: 1, reason: .invalidUTF8)) { _ = try keyLine([0xFF], .string) }
        #expect(throws: RecordLineError.self) { _ = try keyLine(Array("not json".utf8), .json) }
        #expect(throws: RecordLineError.self) { _ = try decodeKey("\"AAH\"", .base64) }
        #expect(throws: RecordLineError.self) { _ = try decodeKey("7", .string) }
    }

    @Test func headersLineShapeAndRoundTrip() throws {
        let headers = [
            RecordHeader(name: Array("trace".utf8), value: Array("a\"b".utf8)),
            RecordHeader(name: Array("n".utf8), value: nil),
            RecordHeader(name: Array("trace".utf8), value: [])
        ]
        var codec = ConfluentCompanionCodec()
        var out: [UInt8] = []
        try codec.appendHeadersLine(headers: headers, to: &out)
        let expected = #"{"headers":[{"key":"trace","value":"a\"b"},{"key":"n","value":null},{"key":"trace","value":""}]}"#
        #expect(String(decoding: out, as: UTF8.self) == expected + "\n")
        let back = try out.withUnsafeBytes { try codec.decodeHeadersLine($0) }
        #expect(back == headers)
        let spaced = #" { "headers" : [ { "value" : "v" , "key" : "k" } ] } "#
        #expect(
            try Array(spaced.utf8).withUnsafeBytes { try codec.decodeHeadersLine($0) }
                == [RecordHeader(name: Array("k".utf8), value: Array("v".utf8))])
    }

    @Test func headersLineRefusesNoHeadersAndBinary() {
        var codec = ConfluentCompanionCodec()
        var out: [UInt8] = []
        #expect(throws: RecordLineError(column: 1, reason: .missingHeaders)) {
            try codec.appendHeadersLine(headers: [RecordHeader](), to: &out)
        }
        #expect(throws: RecordLineError(column: 1, reason: .invalidUTF8)) {
            try codec.appendHeadersLine(headers: [RecordHeader(name: Array("b".utf8), value: [0x80])], to: &out)
        }
        #expect(out.isEmpty)
        #expect(throws: RecordLineError.self) {
            _ = try Array(#"{"headers":[{"key":"k"}]}"#.utf8).withUnsafeBytes { try codec.decodeHeadersLine($0) }
        }
    }
}
