import Foundation

/// A way a partition's objects and gaps fail to cover exactly what the runs said they covered.
public struct CoverageProblem: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Offsets inside the covered range that no object or gap accounts for.
        case hole
        /// Offsets accounted for twice (two objects, or an object and a gap).
        case overlap
        /// An object or gap reaching outside every covered range.
        case outside
        /// An object whose own numbers disagree (first > last, records outside its span, counts).
        case badObject
        /// Covered ranges of runs that overlap or leave a hole between them.
        case rangesDisjoint
        /// The prune record says the partition starts past the end of what the runs covered: no
        /// prune writes that (it moves a partition's start to an object's end at most).
        case prunedPastEnd

        /// How a line names it.
        public var label: String {
            switch self {
            case .hole: "hole"
            case .overlap: "overlap"
            case .outside: "outside the runs' ranges"
            case .badObject: "object's numbers disagree"
            case .rangesDisjoint: "runs' ranges do not join"
            case .prunedPastEnd: "prune record past the end"
            }
        }
    }

    public var kind: Kind
    public var topic: String
    public var partition: Int32
    public var range: OffsetRange
    /// What is involved, e.g. the object key.
    public var detail: String

    public var description: String { "\(topic)/\(partition) \(range): \(kind.label): \(detail)" }
}

/// What the continuity check reads of an object: a manifest's entry, or what a catalog kept of it.
public protocol ObjectOffsets {
    var key: String { get }
    var firstOffset: Int64 { get }
    var lastOffset: Int64 { get }
    var spanStart: Int64 { get }
    var spanEnd: Int64 { get }
    var recordCount: Int64 { get }
}

extension ObjectOffsets {
    public var span: OffsetRange { OffsetRange(spanStart, spanEnd) }
}

extension ManifestObject: ObjectOffsets {}

/// What the continuity check reads of a run's record of a partition: a manifest's, or what a
/// catalog kept of it.
public protocol CoveredRecord {
    var startOffset: Int64 { get }
    var endOffset: Int64 { get }
    var gaps: [OffsetGap] { get }
}

extension ManifestPartition: CoveredRecord {}

/// Pure continuity check of one partition: do objects' spans plus gaps tile the covered ranges?
public enum PartitionCoverage {
    /// Continuity problems of `partitions`: each one's records (in run order) joined, its objects
    /// (in run order) and gaps checked against the union. Offsets below a partition's
    /// `firstOffsets` entry were pruned: the ranges, objects and gaps below it are left out.
    public static func problems<Record: CoveredRecord, Object: ObjectOffsets>(
        partitions: [TopicPartition], firstOffsets: [TopicPartition: Int64],
        recordsOf: (TopicPartition) -> [Record], objectsOf: (TopicPartition) -> [Object]
    ) -> [CoverageProblem] {
        var problems: [CoverageProblem] = []
        for tp in partitions {
            let first = firstOffsets[tp] ?? .min
            let records = recordsOf(tp)
            if let end = records.map(\.endOffset).max(), first > end {
                problems.append(
                    CoverageProblem(
                        kind: .prunedPastEnd, topic: tp.topic, partition: tp.partition, range: OffsetRange(end, first),
                        detail:
                            "the prune record says offsets below \(first) are pruned, past the end \(end) the runs covered: it is damaged, or another store's"
                    ))
                continue
            }
            var covered: [OffsetRange] = []
            var gaps: [OffsetGap] = []
            for record in records {
                let clipped = OffsetRange(Swift.max(record.startOffset, first), record.endOffset)
                if !clipped.isEmpty { covered.append(clipped) }
                for gap in record.gaps where gap.end > first {
                    gaps.append(OffsetGap(start: Swift.max(gap.start, first), end: gap.end, reason: gap.reason))
                }
            }
            // Stable, so objects with equal first offsets keep run order.
            var kept = objectsOf(tp).filter { $0.spanEnd > first }
            kept.sort { $0.firstOffset < $1.firstOffset }
            problems += Self.problems(topic: tp.topic, partition: tp.partition, covered: covered, objects: kept, gaps: gaps)
        }
        return problems
    }

    /// Problems found, in offset order; empty when coverage is exact.
    public static func problems<Object: ObjectOffsets>(
        topic: String, partition: Int32, covered: [OffsetRange],
        objects: [Object], gaps: [OffsetGap]
    ) -> [CoverageProblem] {
        var problems: [CoverageProblem] = []
        func report(_ kind: CoverageProblem.Kind, _ range: OffsetRange, _ detail: String) {
            problems.append(CoverageProblem(kind: kind, topic: topic, partition: partition, range: range, detail: detail))
        }

        for object in objects {
            if object.firstOffset > object.lastOffset || object.firstOffset < object.spanStart
                || object.lastOffset >= object.spanEnd
            {
                report(.badObject, object.span, "\(object.key): records [\(object.firstOffset), \(object.lastOffset)] do not fit its span")
            } else if object.recordCount < 1 || object.recordCount > object.lastOffset - object.firstOffset + 1 {
                report(
                    .badObject, object.span,
                    "\(object.key): \(object.recordCount) records cannot sit in offsets [\(object.firstOffset), \(object.lastOffset)]")
            }
        }

        // Runs' ranges must join into one contiguous range.
        let ranges = covered.filter { !$0.isEmpty }.sorted { $0.start < $1.start }
        var joined: [OffsetRange] = []
        for range in ranges {
            if let last = joined.last, range.start < last.end {
                report(.rangesDisjoint, OffsetRange(range.start, min(range.end, last.end)), "runs covered these offsets twice")
                joined[joined.count - 1].end = max(last.end, range.end)
            } else if let last = joined.last, range.start == last.end {
                joined[joined.count - 1].end = range.end
            } else {
                if let last = joined.last {
                    report(.rangesDisjoint, OffsetRange(last.end, range.start), "no run covered these offsets")
                }
                joined.append(range)
            }
        }

        // A piece is an object (its index) or a gap (`~index`): names, an object's key above all, are
        // made only for the problems that quote them (a million objects' keys otherwise).
        let pieces: [(range: OffsetRange, source: Int)] =
            objects.indices.filter { !objects[$0].span.isEmpty }.map { (objects[$0].span, $0) }
            + gaps.indices.filter { !gaps[$0].range.isEmpty }.map { (gaps[$0].range, ~$0) }
        let sorted = pieces.sorted { ($0.range.start, $0.range.end) < ($1.range.start, $1.range.end) }
        func name(_ source: Int?) -> String {
            guard let source else { return "the range start" }
            return source >= 0 ? objects[source].key : "gap (\(gaps[~source].reason.rawValue))"
        }

        for piece in sorted where !joined.contains(where: { $0.start <= piece.range.start && piece.range.end <= $0.end }) {
            report(.outside, piece.range, "\(name(piece.source)) is outside the covered range")
        }

        for range in joined {
            var cursor = range.start
            var previous: Int?
            for piece in sorted where piece.range.end > range.start && piece.range.start < range.end {
                if piece.range.start > cursor {
                    report(.hole, OffsetRange(cursor, piece.range.start), "nothing between \(name(previous)) and \(name(piece.source))")
                } else if piece.range.start < cursor {
                    report(
                        .overlap, OffsetRange(piece.range.start, min(cursor, piece.range.end)),
                        "\(name(piece.source)) overlaps \(name(previous))")
                }
                if piece.range.end > cursor {
                    cursor = piece.range.end
                    previous = piece.source
                }
            }
            if cursor < range.end {
                report(.hole, OffsetRange(cursor, range.end), "nothing after \(name(previous))")
            }
        }
        return problems
    }
}
