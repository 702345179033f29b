import Foundation

/// One data object's identity in the Confluent DefaultPartitioner layout:
/// `[prefix/]<topics-dir>/<topic>/partition=<p>/<topic>+<p>+<startOffset>.<ext>`.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    /// Offset of the object's first record.
    public var startOffset: Int64
    public var kind: ObjectFileKind

    /// A key for a legal topic, a partition ≥ 0 and an offset ≥ 0.
    public init(topic: String, partition: Int32, startOffset: Int64, kind: ObjectFileKind) throws {
        self.init(unchecked: topic, partition: partition, startOffset: startOffset, kind: kind)
        if let problem = TopicName.problem(with: topic) { throw ObjectKeyError(key: fileName, reason: problem) }
        if partition < 0 { throw ObjectKeyError(key: fileName, reason: "partition \(partition) is negative") }
        if startOffset < 0 { throw ObjectKeyError(key: fileName, reason: "offset \(startOffset) is negative") }
    }

    init(unchecked topic: String, partition: Int32, startOffset: Int64, kind: ObjectFileKind) {
        self.topic = topic
        self.partition = partition
        self.startOffset = startOffset
        self.kind = kind
    }

    /// Java `%010d`: ten digits, zero-padded; larger offsets print all their digits.
    public static func paddedOffset(_ offset: Int64) -> String {
        let digits = String(offset)
        return digits.count >= 10 ? digits : String(repeating: "0", count: 10 - digits.count) + digits
    }

    /// `<topic>+<p>+<startOffset>.<ext>`, the part `topic.regex.list` regexes match.
    public var fileName: String { spelled(root: nil) }

    /// The same object with another kind, e.g. the `.keys.json` companion of a `.json` object.
    public func with(kind: ObjectFileKind) -> ObjectKey {
        ObjectKey(unchecked: topic, partition: partition, startOffset: startOffset, kind: kind)
    }

    /// The folder holding a partition's objects, without a trailing slash.
    public static func partitionFolder(topic: String, partition: Int32, prefix: String, topicsDir: String) -> String {
        KeyParts.join(prefix, topicsDir, topic, "partition=\(partition)")
    }

    /// The full object key under `prefix` (empty for the bucket root) and `topicsDir`.
    public func format(prefix: String, topicsDir: String) -> String {
        spelled(root: KeyParts.join(prefix, topicsDir))
    }

    /// The full key below `root` (`prefix` and `topicsDir` joined, as `StoreLayout` keeps them), or
    /// the file name alone when `root` is nil. Written byte by byte: a restore plan and its check of
    /// the listing spell a key per object, a million in a large store.
    func spelled(root: String?) -> String {
        let slash = UInt8(ascii: "/")
        // Kafka topic names hold no `/`; any other name, or a negative number, goes the general way.
        guard partition >= 0, startOffset >= 0, !topic.isEmpty, !topic.utf8.contains(slash) else {
            let fileName = "\(topic)+\(partition)+\(Self.paddedOffset(startOffset)).\(kind.fileExtension)"
            guard let root else { return fileName }
            return KeyParts.join(root, topic, "partition=\(partition)") + "/" + fileName
        }
        let folder = "/partition=".utf8
        let fileExtension = kind.fileExtension.utf8
        let rootBytes = root.map { $0.isEmpty ? 0 : $0.utf8.count + 1 } ?? 0
        let folderBytes = root == nil ? 0 : topic.utf8.count + folder.count + 11 + 1
        let capacity = rootBytes + folderBytes + topic.utf8.count + 11 + 1 + 20 + 1 + fileExtension.count
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var at = 0
            func put<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
                for byte in bytes {
                    buffer[at] = byte
                    at += 1
                }
            }
            func put(_ number: Int64, width: Int) {
                var digits = 1
                var rest = number / 10
                while rest > 0 {
                    digits += 1
                    rest /= 10
                }
                for _ in digits..<max(digits, width) { put(CollectionOfOne(UInt8(ascii: "0"))) }
                var value = number
                for i in stride(from: at + digits - 1, through: at, by: -1) {
                    buffer[i] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += digits
            }
            if let root {
                if !root.isEmpty {
                    put(root.utf8)
                    put(CollectionOfOne(slash))
                }
                put(topic.utf8)
                put(folder)
                put(Int64(partition), width: 1)
                put(CollectionOfOne(slash))
            }
            put(topic.utf8)
            put(CollectionOfOne(UInt8(ascii: "+")))
            put(Int64(partition), width: 1)
            put(CollectionOfOne(UInt8(ascii: "+")))
            put(startOffset, width: 10)
            put(CollectionOfOne(UInt8(ascii: ".")))
            put(fileExtension)
            return at
        }
    }

    public var description: String { fileName }
}
