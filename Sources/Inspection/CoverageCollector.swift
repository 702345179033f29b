import Layout

/// What verify's continuity check needs of each manifest, taken as the manifest arrives so that the
/// manifest itself can go: per partition, the runs' covered ranges and each object's offsets. An
/// object's key is not held but found again in the listing when a problem names it.
struct CoverageCollector {
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

    /// The keys `Object.keyReference` points at, shared by every `Resolved`.
    private final class Keys: Sendable {
        let listed: ListedObjects
        let unlisted: [String]
        init(listed: ListedObjects, unlisted: [String]) {
            self.listed = listed
            self.unlisted = unlisted
        }
        func key(_ reference: Int32) -> String {
            reference >= 0 ? listed.key(at: Int(reference)) : unlisted[Int(~reference)]
        }
    }

    /// An object as the check reads it; its key is found again only if a problem quotes it.
    private struct Resolved: ObjectOffsets {
        let keys: Keys
        let keyReference: Int32
        var key: String { keys.key(keyReference) }
        var firstOffset: Int64
        var lastOffset: Int64
        var spanStart: Int64
        var spanEnd: Int64
        var recordCount: Int64
    }

    private var records = ArrivedRecords()
    /// Each partition's objects, at the place `lists` gives it.
    private var objects: [[Object]] = []
    private var lists: [TopicPartition: Int] = [:]
    /// Keys of named objects the listing lacks (missing objects: few).
    private var unlistedKeys: [String] = []
    private(set) var arrivals: Int32 = 0

    /// Takes what the check needs of `manifest`, whose objects are listed at `places`; returns its
    /// arrival number.
    @discardableResult
    mutating func add(_ manifest: RunManifest, places: ListedPlaces) -> Int32 {
        let arrival = arrivals
        arrivals += 1
        records.add(manifest.partitions, arrival: arrival)
        // A partition's list is looked up once per record, not once per object: objects are matched
        // to their records (mostly without a hash), and only an object no record covers is looked up.
        let recordLists = manifest.partitions.map { list(of: TopicPartition($0.topic, $0.partition)) }
        let recordOfObject = manifest.partitionRecordIndices()
        // Fields are read in place: a copy of each of a million objects retains and releases its strings.
        for position in manifest.objects.indices {
            let reference: Int32
            if let index = places[position] {
                reference = Int32(index)
            } else {
                reference = ~Int32(unlistedKeys.count)
                unlistedKeys.append(manifest.objects[position].key)
            }
            let record = Int(recordOfObject[position])
            let list =
                record >= 0
                ? recordLists[record] : list(of: TopicPartition(manifest.objects[position].topic, manifest.objects[position].partition))
            objects[list].append(
                Object(
                    firstOffset: manifest.objects[position].firstOffset, lastOffset: manifest.objects[position].lastOffset,
                    spanStart: manifest.objects[position].spanStart, spanEnd: manifest.objects[position].spanEnd,
                    recordCount: manifest.objects[position].recordCount, keyReference: reference, arrival: arrival))
        }
        return arrival
    }

    /// Where the objects of `tp` are listed, a new list for a partition not seen before.
    private mutating func list(of tp: TopicPartition) -> Int {
        if let list = lists[tp] { return list }
        lists[tp] = objects.count
        objects.append([])
        return objects.count - 1
    }

    /// Continuity problems of every partition a run recorded, as `[RunManifest].continuityProblems`
    /// finds them in the manifests: `rank` gives each arrival's place in run order.
    func problems(rank: [Int], firstOffsets: [TopicPartition: Int64], listed: ListedObjects) -> [CoverageProblem] {
        let keys = Keys(listed: listed, unlisted: unlistedKeys)
        // Stable sorts: what one run holds keeps its manifest's order.
        return PartitionCoverage.problems(
            partitions: records.partitions, firstOffsets: firstOffsets,
            recordsOf: { records.records(of: $0, rank: rank) },
            objectsOf: { tp in
                (lists[tp].map { objects[$0] } ?? []).sorted { rank[Int($0.arrival)] < rank[Int($1.arrival)] }.map { object in
                    Resolved(
                        keys: keys, keyReference: object.keyReference, firstOffset: object.firstOffset,
                        lastOffset: object.lastOffset, spanStart: object.spanStart, spanEnd: object.spanEnd,
                        recordCount: object.recordCount)
                }
            })
    }
}
