/// The runs' records of each partition as the continuity check reads them, taken as manifests
/// arrive (in any order, each with its arrival number): 24 bytes a record, without the topic name
/// and the fields the check does not read, and the gaps that few records have kept aside.
public struct ArrivedRecords: Sendable {
    private struct Record {
        var startOffset: Int64
        var endOffset: Int64
        var arrival: Int32
        /// Index of its gaps in `gapLists`, or -1 for none.
        var gaps: Int32
    }

    /// A record as the check reads it.
    public struct Resolved: CoveredRecord {
        public var startOffset: Int64
        public var endOffset: Int64
        public var gaps: [OffsetGap]
    }

    private var byPartition: [TopicPartition: [Record]] = [:]
    private var gapLists: [[OffsetGap]] = []

    public init() {}

    public mutating func add(_ partitions: [ManifestPartition], arrival: Int32) {
        for p in partitions {
            var gaps: Int32 = -1
            if !p.gaps.isEmpty {
                gaps = Int32(gapLists.count)
                gapLists.append(p.gaps)
            }
            byPartition[TopicPartition(p.topic, p.partition), default: []].append(
                Record(startOffset: p.startOffset, endOffset: p.endOffset, arrival: arrival, gaps: gaps))
        }
    }

    /// Every partition some run recorded, sorted.
    public var partitions: [TopicPartition] { byPartition.keys.sorted() }

    /// The records of `tp` in run order: `rank[arrival]` is each arrival's place in it (a stable
    /// sort, so one run's records keep their manifest's order).
    public func records(of tp: TopicPartition, rank: [Int]) -> [Resolved] {
        (byPartition[tp] ?? []).sorted { rank[Int($0.arrival)] < rank[Int($1.arrival)] }.map {
            Resolved(startOffset: $0.startOffset, endOffset: $0.endOffset, gaps: $0.gaps < 0 ? [] : gapLists[Int($0.gaps)])
        }
    }
}
