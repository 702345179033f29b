import Foundation
import Testing
@testable import Layout

@Suite struct ObjectKeyGoldenTests {
    @Test func everyValidGoldenKeyParsesToItsFieldsAndFormatsBack() throws {
        let rows = try Fixtures.rows("keys/valid-keys.txt")
        #expect(rows.count >= 10)
        for row in rows {
            try #require(row.count == 7, "bad fixture row \(row)")
            let (key, prefix, topicsDir) = (row[0], row[1], row[2])
            let parsed = try ObjectKey.parse(key, prefix: prefix, topicsDir: topicsDir)
            #expect(parsed.topic == row[3], "\(key)")
            #expect(parsed.partition == Int32(row[4]), "\(key)")
            #expect(parsed.startOffset == Int64(row[5]), "\(key)")
            #expect(parsed.kind.fileExtension == row[6], "\(key)")
            #expect(parsed.format(prefix: prefix, topicsDir: topicsDir) == key, "round trip of \(key)")
            let fileName = String(key.split(separator: "/").last ?? "")
            #expect(try ObjectKey.parseFileName(fileName) == parsed)
        }
    }

    @Test func everyInvalidGoldenKeyIsRefusedWithItsReason() throws {
        let rows = try Fixtures.rows("keys/invalid-keys.txt")
        #expect(rows.count >= 10)
        for row in rows {
            try #require(row.count == 4, "bad fixture row \(row)")
            do {
                let parsed = try ObjectKey.parse(row[0], prefix: row[1], topicsDir: row[2])
                Issue.record("\(row[0]) parsed as \(parsed)")
            } catch let error as ObjectKeyError {
                #expect(error.description.contains(row[3]), "\(error) lacks '\(row[3])'")
                #expect(error.description.contains(row[0]), "\(error) does not name the key")
                #expect(!error.description.contains("\n"))
            }
        }
    }
}

@Suite struct SinkKeyGoldenTests {
    @Test func everySinkLayoutKeyParsesToItsFields() throws {
        let rows = try Fixtures.rows("keys/sink-keys.txt")
        #expect(rows.count >= 8)
        for row in rows {
            try #require(row.count == 8, "bad fixture row \(row)")
            let listed = try ObjectKey.parseListed(row[0], prefix: row[1], topicsDir: row[2])
            #expect(listed.object.topic == row[3], "\(row[0])")
            #expect(listed.object.partition == Int32(row[4]), "\(row[0])")
            #expect(listed.object.startOffset == Int64(row[5]), "\(row[0])")
            #expect(listed.folder == row[6], "\(row[0])")
            #expect(listed.fileName == row[7], "\(row[0])")
        }
    }

    @Test func keysNoSinkLayoutExplainsAreRefusedWithTheirReason() throws {
        let rows = try Fixtures.rows("keys/invalid-sink-keys.txt")
        #expect(rows.count >= 8)
        for row in rows {
            try #require(row.count == 4, "bad fixture row \(row)")
            do {
                let parsed = try ObjectKey.parseListed(row[0], prefix: row[1], topicsDir: row[2])
                Issue.record("\(row[0]) parsed as \(parsed)")
            } catch let error as ObjectKeyError {
                #expect(error.description.contains(row[3]), "\(error) lacks '\(row[3])'")
                #expect(error.description.contains(row[0]), "\(error) does not name the key")
            }
        }
    }

    /// ktape's own keys (manifests name them) stay strict: ten digits.
    @Test func manifestKeysStayStrict() {
        #expect(throws: ObjectKeyError.self) {
            try ObjectKey.parse("topics/orders/partition=0/orders+0+42.json", prefix: "", topicsDir: "topics")
        }
    }
}
