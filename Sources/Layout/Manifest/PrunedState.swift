import Foundation

/// `_ktape/pruned.json`: where each pruned partition now starts. `ktape prune` removes whole objects
/// from the oldest end of a partition; manifests are never rewritten, so this document is what tells
/// readers that the offsets below `firstOffset` are gone on purpose: `verify` does not count their
/// objects as missing, `restore` does not look for them, `ls` shows what was pruned and when. Changed
/// only with `If-Match` on the version read (the first with `If-None-Match`), and always before the
/// objects it names are deleted, so a prune killed at any point leaves a store that reads whole.
public struct PrunedState: Codable, Equatable, Sendable {
    public static let formatName = "ktape-pruned"
    public static let currentVersion = 1

    public var format: String = PrunedState.formatName
    public var version: Int = PrunedState.currentVersion
    public var partitions: [Partition]

    public struct Partition: Codable, Equatable, Sendable {
        public var topic: String
        public var partition: Int32
        /// Offsets below it are pruned: their objects are deleted, or will be by the prune that
        /// declared them (a killed prune's rerun finishes the deletes).
        public var firstOffset: Int64
        /// When it was last pruned, and by which prune run.
        public var prunedAt: Date
        public var pruneId: String
        /// Totals over every prune of the partition.
        public var objects: Int64
        public var records: Int64
        public var bytes: Int64

        public init(
            topic: String, partition: Int32, firstOffset: Int64, prunedAt: Date, pruneId: String,
            objects: Int64, records: Int64, bytes: Int64
        ) {
            self.topic = topic
            self.partition = partition
            self.firstOffset = firstOffset
            self.prunedAt = prunedAt
            self.pruneId = pruneId
            self.objects = objects
            self.records = records
            self.bytes = bytes
        }
    }

    public init(partitions: [Partition] = []) { self.partitions = partitions }

    /// The first offset kept of a partition (0 when it was never pruned).
    public func firstOffset(topic: String, partition: Int32) -> Int64 {
        partitions.first { $0.topic == topic && $0.partition == partition }?.firstOffset ?? 0
    }

    /// Offsets below the first kept, per pruned partition.
    public var firstOffsets: [TopicPartition: Int64] {
        Dictionary(partitions.map { (TopicPartition($0.topic, $0.partition), $0.firstOffset) }, uniquingKeysWith: { a, b in max(a, b) })
    }

    /// Records a prune of one partition up to `firstOffset` (never backwards), adding to its totals.
    public mutating func record(_ entry: Partition) {
        guard let index = partitions.firstIndex(where: { $0.topic == entry.topic && $0.partition == entry.partition }) else {
            partitions.append(entry)
            partitions.sort { TopicPartition($0.topic, $0.partition) < TopicPartition($1.topic, $1.partition) }
            return
        }
        var merged = partitions[index]
        guard entry.firstOffset > merged.firstOffset else { return }
        merged.firstOffset = entry.firstOffset
        merged.prunedAt = entry.prunedAt
        merged.pruneId = entry.pruneId
        merged.objects += entry.objects
        merged.records += entry.records
        merged.bytes += entry.bytes
        partitions[index] = merged
    }

    public func encoded() throws -> Data { try LayoutJSON.encodeDocument(self) }

    public static func decode(_ data: Data, name: String) throws -> PrunedState {
        try LayoutJSON.decode(PrunedState.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}
