import Layout

/// The partitions in a consumer group member's assignment as DescribeGroups returns it: Kafka's
/// ConsumerProtocolAssignment (int16 version, then topics of int16-length names with int32 partition
/// arrays; versions 1 and up only add fields after them).
public enum ConsumerAssignment {
    /// The partitions in `bytes`, or nil when they are not a consumer assignment.
    public static func partitions(_ bytes: UnsafeRawBufferPointer) -> [TopicPartition]? {
        var reader = BigEndianReader(bytes)
        guard let version = reader.int16(), version >= 0, let topicCount = reader.int32(), topicCount >= 0 else {
            return bytes.isEmpty ? [] : nil
        }
        var result: [TopicPartition] = []
        for _ in 0..<topicCount {
            guard let nameLength = reader.int16(), nameLength >= 0, let name = reader.string(Int(nameLength)),
                let count = reader.int32(), count >= 0
            else { return nil }
            for _ in 0..<count {
                guard let partition = reader.int32() else { return nil }
                result.append(TopicPartition(name, partition))
            }
        }
        return result
    }
}

private struct BigEndianReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func int16() -> Int16? {
        guard at + 2 <= bytes.count else { return nil }
        defer { at += 2 }
        return Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]))
    }

    mutating func int32() -> Int32? {
        guard at + 4 <= bytes.count else { return nil }
        defer { at += 4 }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[at + i]) }
        return Int32(bitPattern: value)
    }

    mutating func string(_ length: Int) -> String? {
        guard at + length <= bytes.count else { return nil }
        defer { at += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + length]), as: UTF8.self)
    }
}
