import Testing
@testable import Kafka

/// The partition a keyed record gets is the Java client's: `toPositive(murmur2(key)) % count`.
@Suite struct KeyPartitionerTests {
    /// Kafka's own murmur2 test vectors (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2).
    static let kafkaVectors: [([UInt8], Int32)] = [
        (Array("21".utf8), -973932308),
        (Array("foobar".utf8), -790332482),
        (Array("a-little-bit-long-string".utf8), -985981536),
        (Array("a-little-bit-longer-string".utf8), -1486304829),
        (Array("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8".utf8), -58897971),
        ([UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "c")], 479470107)
    ]

    /// `Utils.toPositive`.
    static func positive(_ hash: Int32) -> Int32 { hash & 0x7fff_ffff }

    /// With Int32.max partitions the partition is the positive hash itself (none of these hashes is
    /// 0x7fffffff), so the vectors check the hash bit for bit, not just modulo a small count.
    @Test(arguments: kafkaVectors)
    func partitionIsJavasForKafkasVectors(key: [UInt8], hash: Int32) {
        #expect(KafkaKeyPartitioner.murmur2(key, partitionCount: .max) == Self.positive(hash))
        for count: Int32 in [1, 3, 4, 9, 12, 100] {
            #expect(KafkaKeyPartitioner.murmur2(key, partitionCount: count) == Self.positive(hash) % count, "\(count) partitions")
        }
    }

    /// An empty key is a key (the Java client hashes zero bytes); its hash is murmur2 of nothing.
    @Test func emptyKeyHashesLikeJava() {
        // Java: murmur2(new byte[0]) = 275646681.
        #expect(KafkaKeyPartitioner.murmur2([], partitionCount: .max) == 275_646_681)
    }
}
