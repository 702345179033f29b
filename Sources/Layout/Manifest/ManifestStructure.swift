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
            if let crc = object.crc64nvme, !Self.isBase64OfEightBytes(crc) {
                report("object \(object.key) has no valid crc64nvme ('\(crc)')")
            }
            if let sha256 = object.sha256, sha256.count != 64 || !sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                report("object \(object.key) has no valid sha256 ('\(sha256)')")
            }
            if object.crc64nvme == nil && object.sha256 == nil { report("object \(object.key) has no checksum") }
            if object.byteSize < 0 { report("object \(object.key) has a negative size") }
            if let companions = object.companionChecksums {
                if companions.count != object.companionKeys.count {
                    report("object \(object.key) has \(object.companionKeys.count) companions but \(companions.count) companion checksums")
                } else if let bad = companions.first(where: { !Self.isBase64OfEightBytes($0.crc64nvme) || $0.byteSize < 0 }) {
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

    /// True when `text` is base64 of 8 bytes. The canonical spelling (ktape's) is read byte by byte;
    /// only another is decoded, a million checksums costing a `Data` each otherwise.
    static func isBase64OfEightBytes(_ text: String) -> Bool {
        eightBytes(canonicalBase64: text) != nil || Data(base64Encoded: text)?.count == 8
    }

    /// The 8 bytes (big-endian) that `text` spells as ktape writes a `crc64nvme`: base64, 11
    /// characters and `=`, the last character's 2 spare bits clear; nil for any other text.
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
