import Layout

/// What verify's continuity check needs of each manifest, taken as the manifest arrives so that the
/// manifest itself can go: per partition, the runs' covered ranges and each object's offsets. An
/// object's key is not held but found again in the listing when a problem names it.
struct CoverageCollector {
    private struct Record {
        var startOffset: Int64
        var endOffset: Int64
        /// The arrival of the run that recorded it (runs arrive in any order; the check reads run order).
        var arrival: Int32
        /// Index of its gaps in `gapLists`, or -1 for none (most records: 8 bytes less each).
        var gaps: Int32
    }

    private struct ResolvedRecord: CoveredRecord {
        var startOffset: Int64
        var endOffset: Int64
        var gaps: [OffsetGap]
    }

    private struct Object {
        var firstOffset: Int64
        var lastOffset: Int64
        var spanStart: Int64
        var spanEnd: Int64
        var recordCount: Int64
        /// Index of the key in the listing, or `~i` for `unlistedKeys[i]`.
        var keyReference: Int32
        var arrival: Int32
    }

    /// An object as the check reads it, its key found again.
    private struct Resolved: ObjectOffsets {
        var key: String
        var firstOffset: Int64
        var lastOffset: Int64
        var spanStart: Int64
        var spanEnd: Int64
        var recordCount: Int64
    }

    private var records: [TopicPartition: [Record]] = [:]
    private var objects: [TopicPartition: [Object]] = [:]
    private var gapLists: [[OffsetGap]] = []
    /// Keys of named objects the listing lacks (missing objects: few).
    private var unlistedKeys: [String] = []
    private(set) var arrivals: Int32 = 0

    /// Takes what the check needs of `manifest`; returns its arrival number.
    @discardableResult
    mutating func add(_ manifest: RunManifest, listed: ListedObjects) -> Int32 {
        let arrival = arrivals
        arrivals += 1
        for p in manifest.partitions {
            var gaps: Int32 = -1
            if !p.gaps.isEmpty {
                gaps = Int32(gapLists.count)
                gapLists.append(p.gaps)
            }
            records[TopicPartition(p.topic, p.partition), default: []].append(
                Record(startOffset: p.startOffset, endOffset: p.endOffset, arrival: arrival, gaps: gaps))
        }
        for object in manifest.objects {
            let reference: Int32
            if let index = listed.index(of: object.key) {
                reference = Int32(index)
            } else {
                reference = ~Int32(unlistedKeys.count)
                unlistedKeys.append(object.key)
            }
            objects[TopicPartition(object.topic, object.partition), default: []].append(
                Object(
                    firstOffset: object.firstOffset, lastOffset: object.lastOffset, spanStart: object.spanStart,
                    spanEnd: object.spanEnd, recordCount: object.recordCount, keyReference: reference, arrival: arrival))
        }
        return arrival
    }

    /// Continuity problems of every partition a run recorded, as `[RunManifest].continuityProblems`
    /// finds them in the manifests: `rank` gives each arrival's place in run order.
    func problems(rank: [Int], firstOffsets: [TopicPartition: Int64], listed: ListedObjects) -> [CoverageProblem] {
        // Stable sorts: what one run holds keeps its manifest's order.
        PartitionCoverage.problems(
            partitions: records.keys.sorted(), firstOffsets: firstOffsets,
            recordsOf: { tp in
                (records[tp] ?? []).sorted { rank[Int($0.arrival)] < rank[Int($1.arrival)] }.map {
                    ResolvedRecord(startOffset: $0.startOffset, endOffset: $0.endOffset, gaps: $0.gaps < 0 ? [] : gapLists[Int($0.gaps)])
                }
            },
            objectsOf: { tp in
                (objects[tp] ?? []).sorted { rank[Int($0.arrival)] < rank[Int($1.arrival)] }.map { object in
                    let reference = Int(object.keyReference)
                    return Resolved(
                        key: reference >= 0 ? listed.key(at: reference) : unlistedKeys[~reference],
                        firstOffset: object.firstOffset, lastOffset: object.lastOffset, spanStart: object.spanStart,
                        spanEnd: object.spanEnd, recordCount: object.recordCount)
                }
            })
    }
}
