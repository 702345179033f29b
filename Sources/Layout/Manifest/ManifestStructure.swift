import Foundation

extension RunManifest {
    /// Disagreements inside one manifest, for `verify`'s structure stage: object keys that do not
    /// parse under the run's layout or disagree with the object's fields or the run's format, objects
    /// of partitions the run did not cover, partitions of topics it does not describe. One line each,
    /// naming the run and the thing at fault; empty when the manifest is consistent.
    public func structuralProblems(prefix: String) -> [String] {
        let layout = StoreLayout(prefix: prefix, topicsDir: store.topicsDir)
        let expectedKind = ObjectFileKind.data(format: store.format, compression: store.compression)
        var problems: [String] = []
        func report(_ text: String) { problems.append("run \(runId): \(text)") }

        let topicsByName = Dictionary(topics.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var covered = Set<TopicPartition>(minimumCapacity: partitions.count)
        for p in partitions {
            let tp = TopicPartition(p.topic, p.partition)
            if !covered.insert(tp).inserted { report("partition \(tp) is listed twice") }
            guard let topic = topicsByName[p.topic] else {
                report("partition \(tp) belongs to topic '\(p.topic)', which the run does not describe")
                continue
            }
            if p.partition < 0 || p.partition >= topic.partitionCount {
                report("partition \(tp) is outside the topic's \(topic.partitionCount) partitions")
            }
            if p.endOffset < p.startOffset { report("partition \(tp) ends (\(p.endOffset)) before it starts (\(p.startOffset))") }
        }

        var seenKeys = Set<String>(minimumCapacity: objects.count)
        let records = partitionRecordIndices()
        for (position, object) in objects.enumerated() {
            if !seenKeys.insert(object.key).inserted { report("object \(object.key) is listed twice") }
            let tp = TopicPartition(object.topic, object.partition)
            if records[position] < 0 { report("object \(object.key) belongs to \(tp), which the run did not cover") }
            if let crc = object.crc64nvme, Self.eightBytes(canonicalBase64: crc) == nil {
                report("object \(object.key) has no valid crc64nvme ('\(crc)'; ktape writes 8 bytes in base64, 12 characters)")
            }
            if let sha256 = object.sha256, !Self.isSHA256Hex(sha256) {
                report("object \(object.key) has no valid sha256 ('\(sha256)')")
            }
            if object.crc64nvme == nil && object.sha256 == nil { report("object \(object.key) has no checksum") }
            if object.byteSize < 0 { report("object \(object.key) has a negative size") }
            if let companions = object.companionChecksums {
                if companions.count != object.companionKeys.count {
                    report("object \(object.key) has \(object.companionKeys.count) companions but \(companions.count) companion checksums")
                } else if let bad = companions.first(where: { Self.eightBytes(canonicalBase64: $0.crc64nvme) == nil || $0.byteSize < 0 }) {
                    report("object \(object.key) has a companion checksum that is not one (\(bad.byteSize) bytes, '\(bad.crc64nvme)')")
                }
            }
            do {
                let key = try layout.objectKey(parsing: object.key)
                if key.topic != object.topic || key.partition != object.partition || key.startOffset != object.firstOffset {
                    report(
                        "object \(object.key) is named for \(key.topic)/\(key.partition) at \(key.startOffset), but holds \(tp) from \(object.firstOffset)"
                    )
                }
                if key.kind != expectedKind {
                    report("object \(object.key) is .\(key.kind.fileExtension), but the run wrote .\(expectedKind.fileExtension)")
                }
            } catch {
                report("\(error)")
            }
        }
        return problems
    }

    /// True when `text` is a `sha256` as ktape writes one: 64 lowercase hex digits.
    public static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }

    /// The 8 bytes (big-endian) that `text` spells as ktape writes a `crc64nvme`: base64, 11
    /// characters and `=`, the last character's 2 spare bits clear; nil for any other text. Only
    /// this spelling is a checksum: verify reports any other, and restore refuses its object.
    public static func eightBytes(canonicalBase64 text: String) -> UInt64? {
        text.utf8.withContiguousStorageIfAvailable(eightBytes) ?? eightBytes(Array(text.utf8))
    }

    private static func eightBytes<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> UInt64? where Bytes.Index == Int {
        guard bytes.count == 12, bytes[bytes.startIndex + 11] == UInt8(ascii: "=") else { return nil }
        var value: UInt64 = 0
        for byte in bytes[bytes.startIndex..<bytes.startIndex + 10] {
            guard let sextet = base64Value(byte) else { return nil }
            value = value << 6 | UInt64(sextet)
        }
        // The eleventh character carries 4 bits of the last byte and 2 that must be zero.
        guard let last = base64Value(bytes[bytes.startIndex + 10]), last & 0b11 == 0 else { return nil }
        return value << 4 | UInt64(last >> 2)
    }

    private static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
