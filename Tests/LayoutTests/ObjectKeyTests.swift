import Foundation
import Testing
@testable import Layout

@Suite struct ObjectKeyTests {
    @Test func offsetsPadToTenDigitsLikeJava() {
        #expect(ObjectKey.paddedOffset(0) == "0000000000")
        #expect(ObjectKey.paddedOffset(42) == "0000000042")
        #expect(ObjectKey.paddedOffset(9_999_999_999) == "9999999999")
        #expect(ObjectKey.paddedOffset(10_000_000_000) == "10000000000")
    }

    @Test func formatNeverDoublesSlashes() throws {
        let key = try ObjectKey(topic: "orders", partition: 2, startOffset: 5, kind: ObjectFileKind(.envelope, .gzip))
        #expect(key.format(prefix: "", topicsDir: "topics") == "topics/orders/partition=2/orders+2+0000000005.ktape.json.gz")
        #expect(key.format(prefix: "/a/b/", topicsDir: "/topics/") == "a/b/topics/orders/partition=2/orders+2+0000000005.ktape.json.gz")
        #expect(key.format(prefix: "a//b", topicsDir: "topics") == "a/b/topics/orders/partition=2/orders+2+0000000005.ktape.json.gz")
    }

    /// Keys are spelled byte by byte; they must read as the interpolated text they replaced, for every
    /// kind, number width and layout, including names no legal topic has (which take the general way).
    @Test func spelledKeysMatchTheirInterpolatedText() {
        var rng = SystemRandomNumberGenerator()
        let topics = ["t", "orders.v2-EU_1", String(repeating: "x", count: 249), "a/b", "/lead", "", "tōpic"]
        let layouts = [("", "topics"), ("a/b", "topics"), ("/p/", "/t/"), ("", ""), ("p", "")]
        let numbers: [Int64] = [0, 7, 9_999_999_999, 10_000_000_000, Int64.max, -1]
        for topic in topics {
            for kind in ObjectFileKind.all {
                for (prefix, topicsDir) in layouts {
                    for offset in numbers + [Int64.random(in: 0...Int64.max, using: &rng)] {
                        for partition in [0, 3, 12_345, Int32.max, -2] {
                            let key = ObjectKey(unchecked: topic, partition: partition, startOffset: offset, kind: kind)
                            let fileName = "\(topic)+\(partition)+\(ObjectKey.paddedOffset(offset)).\(kind.fileExtension)"
                            let full = KeyParts.join(prefix, topicsDir, topic, "partition=\(partition)") + "/" + fileName
                            #expect(key.fileName == fileName)
                            #expect(key.format(prefix: prefix, topicsDir: topicsDir) == full)
                            #expect(StoreLayout(prefix: prefix, topicsDir: topicsDir).key(for: key) == full)
                        }
                    }
                }
            }
        }
    }

    /// A manifest's relative keys become the store's keys as KeyParts.join makes them.
    @Test func absoluteKeysJoinThePrefix() {
        for prefix in ["", "p", "/a/b/", "a//b"] {
            for relative in ["", "topics/t/partition=0/t+0+0000000000.json", "/lead/", "a//b", "/"] {
                #expect(StoreLayout(prefix: prefix).absoluteKey(relative) == KeyParts.join(prefix, relative), "\(prefix) + \(relative)")
            }
        }
    }

    @Test func constructorRefusesIllegalValues() {
        #expect(throws: ObjectKeyError.self) { try ObjectKey(topic: "..", partition: 0, startOffset: 0, kind: ObjectFileKind(.values)) }
        #expect(throws: ObjectKeyError.self) { try ObjectKey(topic: "t", partition: -1, startOffset: 0, kind: ObjectFileKind(.values)) }
        #expect(throws: ObjectKeyError.self) { try ObjectKey(topic: "t", partition: 0, startOffset: -5, kind: ObjectFileKind(.values)) }
        #expect(throws: ObjectKeyError.self) {
            try ObjectKey(topic: String(repeating: "x", count: 250), partition: 0, startOffset: 0, kind: ObjectFileKind(.values))
        }
    }

    @Test func topicNameRules() {
        #expect(TopicName.isValid("a"))
        #expect(TopicName.isValid(String(repeating: "x", count: 249)))
        #expect(!TopicName.isValid(String(repeating: "x", count: 250)))
        #expect(!TopicName.isValid(""))
        #expect(!TopicName.isValid("."))
        #expect(!TopicName.isValid(".."))
        #expect(TopicName.isValid("..."))
        #expect(!TopicName.isValid("tōpic"))
        #expect(!TopicName.isValid("a/b"))
    }

    @Test func companionKindsShareTheStartOffset() throws {
        let values = try ObjectKey(topic: "t", partition: 0, startOffset: 9, kind: ObjectFileKind(.values, .gzip))
        #expect(values.with(kind: ObjectFileKind(.keys, .gzip)).fileName == "t+0+0000000009.keys.json.gz")
        #expect(ObjectFileKind.data(format: .envelope, compression: .none).fileExtension == "ktape.json")
        #expect(ObjectFileKind.data(format: .confluentJSON, compression: .gzip).fileExtension == "json.gz")
        #expect(ObjectFileKind.all.count == 8)
    }
}
