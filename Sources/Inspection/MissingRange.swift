import Layout

/// Consecutive objects of a partition that manifests name but the store no longer holds (deleted
/// behind ktape's back: a lifecycle rule, a manual delete), reported as one range of offsets.
struct MissingRange: CustomStringConvertible {
    var topic: String
    var partition: Int32
    var objects: [(object: ManifestObject, run: RunID)]

    var offsets: OffsetRange { OffsetRange(objects.first?.object.spanStart ?? 0, objects.last?.object.spanEnd ?? 0) }

    var description: String {
        let runs = Array(Set(objects.map(\.run.rawValue))).sorted()
        let more = objects.count > 1 ? " with the \(objects.count - 1) objects after it" : ""
        return
            "is missing\(more) (named by run \(runs.prefix(3).joined(separator: ", "))\(runs.count > 3 ? " and \(runs.count - 3) more" : "")): "
            + "offsets \(offsets) of \(topic)/\(partition) cannot be restored; ktape restore --allow-missing restores the rest"
    }

    /// Each partition's missing objects in offset order, joined where one object's span ends where the next begins.
    static func group(_ missing: [TopicPartition: [(object: ManifestObject, run: RunID)]]) -> [MissingRange] {
        var ranges: [MissingRange] = []
        for tp in missing.keys.sorted() {
            for entry in (missing[tp] ?? []).sorted(by: { $0.object.firstOffset < $1.object.firstOffset }) {
                if let last = ranges.last, last.topic == tp.topic, last.partition == tp.partition,
                    last.objects.last?.object.spanEnd == entry.object.spanStart
                {
                    ranges[ranges.count - 1].objects.append(entry)
                } else {
                    ranges.append(MissingRange(topic: tp.topic, partition: tp.partition, objects: [entry]))
                }
            }
        }
        return ranges
    }
}
