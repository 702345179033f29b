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
    public var fileName: String {
        "\(topic)+\(partition)+\(Self.paddedOffset(startOffset)).\(kind.fileExtension)"
    }

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
        Self.partitionFolder(topic: topic, partition: partition, prefix: prefix, topicsDir: topicsDir) + "/" + fileName
    }

    public var description: String { fileName }
}
