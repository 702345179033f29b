import Testing
@testable import RecordFormats

/// The decoder accepts what a person or jq may do to a line, and refuses everything else with a column.
@Suite struct EnvelopeDecoderTests {
    let expected = KafkaRecord(
        offset: 42, timestamp: 1_700_000_000_000, timestampType: .createTime,
        key: Array("k".utf8), value: [0x00, 0xFF],
        headers: [
            RecordHeader(name: Array("a".utf8), value: nil),
            RecordHeader(name: [0xFE], value: Array("😀".utf8))
        ])

    func decode(_ text: String) throws(RecordLineError) -> KafkaRecord {
        try EnvelopeDecoder.decode(Array(text.utf8))
    }

    @Test func toleratesWhitespaceOrderUnknownFieldsAndEscapedText() throws {
        let pretty = """
            {
              "headers" : [ { "value" : null , "name" : "a" } , { "extra": {"x":[1,{"y":null}]}, "nameBase64": "/g==", "value": "\\ud83d\\ude00" } ],
              "value" :\t"valueBase64ignored" ,
              "future": [true, false, -1.5e3, "s"],
              "timestampType": "Create\\u0054ime",
              "k\\u0065y": "\\u006b",
              "offset": 42, "timestamp": 1700000000000, "ktape": 1
            }\r\n
            """.replacingOccurrences(of: "\"value\" :\t\"valueBase64ignored\"", with: "\"valueBase64\" : \"AP8=\"")
        #expect(try decode(pretty) == expected)
    }

    @Test func unknownFieldsMayRepeatEvenWithHeaderFieldNames() throws {
        let line =
            #"{"name":1,"name":[2],"x":{},"x":"","ktape":1,"offset":0,"timestamp":0,"timestampType":"CreateTime","key":null,"value":null}"#
        #expect(try decode(line) == KafkaRecord(offset: 0, timestamp: 0, timestampType: .createTime, key: nil, value: nil))
    }

    @Test func missingHeadersMeansNone() throws {
        let r = try decode(#"{"ktape":1,"offset":-5,"timestamp":-1,"timestampType":"NoTimestampType","key":null,"value":""}"#)
        #expect(r == KafkaRecord(offset: -5, timestamp: -1, timestampType: .notAvailable, key: nil, value: []))
    }

    @Test func acceptsEveryJSONEscape() throws {
        let r = try decode(
            #"{"ktape":1,"offset":0,"timestamp":0,"timestampType":"LogAppendTime","key":"\"\\\/\b\f\n\r\t\u00e9\u0000","value":null}"#)
        #expect(r.key == Array("\"\\/\u{08}\u{0C}\n\r\t\u{E9}\u{0}".utf8))
        #expect(r.timestampType == .logAppendTime)
    }

    static let head = #"{"ktape":1,"offset":1,"timestamp":2,"timestampType":"CreateTime""#

    /// (line, expected error) pairs; columns are 1-based byte positions in the line.
    static let failures: [(String, RecordLineError)] = [
        ("", .init(column: 1, reason: .unexpectedEnd(expected: "'{'"))),
        (head, .init(column: 65, reason: .unexpectedEnd(expected: "',' or '}'"))),
        (head + #","key":"abc"#, .init(column: 76, reason: .unexpectedEnd(expected: "the closing quote of a string"))),
        (#"{"ktape":2,"offset":1}"#, .init(column: 10, reason: .unknownVersion("2"))),
        (#"{"ktape":"1"}"#, .init(column: 10, reason: .wrongType(field: "ktape", expected: "an integer"))),
        (#"{"ktape":1,"offset":1.0}"#, .init(column: 21, reason: .wrongType(field: "offset", expected: "an integer"))),
        (#"{"ktape":1,"offset":"1"}"#, .init(column: 21, reason: .wrongType(field: "offset", expected: "an integer"))),
        (#"{"ktape":1,"offset":9223372036854775808}"#, .init(column: 21, reason: .numberOutOfRange(field: "offset"))),
        (#"{"ktape":1,"offset":01}"#, .init(column: 22, reason: .unexpectedByte(UInt8(ascii: "1"), expected: "',' or '}'"))),
        (head + #","key":1,"value":null}"#, .init(column: 72, reason: .wrongType(field: "key", expected: "a string or null"))),
        (
            head + #","keyBase64":null,"value":null}"#,
            .init(column: 78, reason: .wrongType(field: "keyBase64", expected: "a base64 string"))
        ),
        (
            head + #","keyBase64":"AP8","value":null}"#,
            .init(column: 82, reason: .badBase64(field: "keyBase64", reason: "length is not a multiple of 4"))
        ),
        (
            head + #","keyBase64":"AP!=","value":null}"#,
            .init(column: 81, reason: .badBase64(field: "keyBase64", reason: "not a base64 character"))
        ),
        (
            head + #","keyBase64":"AP9=","value":null}"#,
            .init(column: 81, reason: .badBase64(field: "keyBase64", reason: "non-zero bits before padding"))
        ),
        (head + #","key":"a\x","value":null}"#, .init(column: 74, reason: .badEscape)),
        (head + #","key":"a\u12","value":null}"#, .init(column: 74, reason: .badEscape)),
        (head + #","key":"\ud83d","value":null}"#, .init(column: 73, reason: .loneSurrogate)),
        (head + #","key":"\ude00\ud83d","value":null}"#, .init(column: 73, reason: .loneSurrogate)),
        (head + ",\"key\":\"a\tb\",\"value\":null}", .init(column: 74, reason: .controlCharacterInString)),
        (head + #","key":null,"key":null,"value":null}"#, .init(column: 77, reason: .duplicateField("key"))),
        (head + #","key":null,"keyBase64":"","value":null}"#, .init(column: 77, reason: .conflictingFields("key", "keyBase64"))),
        (head + #","value":null}"#, .init(column: 1, reason: .missingField("key"))),
        (head + #","key":null}"#, .init(column: 1, reason: .missingField("value"))),
        (#"{"ktape":1,"offset":1,"timestamp":2,"key":null,"value":null}"#, .init(column: 1, reason: .missingField("timestampType"))),
        (
            #"{"ktape":1,"offset":1,"timestamp":2,"timestampType":"Now","key":null,"value":null}"#,
            .init(column: 53, reason: .unknownTimestampType("Now"))
        ),
        (head + #","key":null,"value":null,"headers":{}}"#, .init(column: 100, reason: .wrongType(field: "headers", expected: "an array"))),
        (head + #","key":null,"value":null,"headers":[{"name":"a"}]}"#, .init(column: 101, reason: .missingField("headers[].value"))),
        (
            head + #","key":null,"value":null,"headers":[{"name":null,"value":null}]}"#,
            .init(column: 102, reason: .wrongType(field: "name", expected: "a string"))
        ),
        (head + #","key":null,"value":null} x"#, .init(column: 91, reason: .trailingData)),
        (
            head + #","key":null,"value":null,"x":[1,}"#,
            .init(column: 97, reason: .unexpectedByte(UInt8(ascii: "}"), expected: "a JSON value"))
        )
    ]

    @Test(arguments: 0..<failures.count)
    func refusesWithColumn(index: Int) {
        let (line, want) = Self.failures[index]
        #expect(throws: want, "\(line)") { _ = try decode(line) }
    }

    @Test func refusesInvalidUTF8InTheLine() {
        var line = Array((Self.head + #","key":"ab","value":null}"#).utf8)
        line[67] = 0xC0
        #expect(throws: RecordLineError(column: 68, reason: .invalidUTF8)) { _ = try EnvelopeDecoder.decode(line) }
    }

    @Test func errorLinesNameTheColumnAndTheProblem() {
        let error = RecordLineError(column: 10, reason: .unknownVersion("2"))
        #expect(error.description == "column 10: unknown envelope version 2 (this ktape reads version 1)")
        let byte = RecordLineError(column: 3, reason: .unexpectedByte(0x01, expected: "':'"))
        #expect(byte.description == "column 3: found byte 0x01 where ':' was expected")
    }
}
