import Failures
import Foundation
import Layout
import ObjectStore

/// Objects a plan needs that the store no longer holds (deleted behind ktape's back: a lifecycle
/// rule, a manual delete), found before anything is produced from one listing of each restored
/// topic. Without `allowMissing` the restore stops naming the missing ranges; with it they are
/// left out of the plan and listed in the summary.
enum MissingObjects {
    static func check(_ plan: inout RestorePlan, store: any ObjectStore, layout: StoreLayout, allowMissing: Bool) async throws {
        guard plan.fromManifests else { return }
        // What the plan needs, struck off as the listing streams past (a million listed keys are
        // never held): objects whose key derives from their name are found by that name, in their
        // partition's objects sorted by offset; kept keys and companions by their text.
        var found: [[[Bool]]] = plan.topics.map { $0.partitions.map { [Bool](repeating: false, count: $0.objects.count) } }
        var places: [TopicPartition: (topic: Int, partition: Int)] = [:]
        var wanted = Set<String>()
        for t in plan.topics.indices {
            for p in plan.topics[t].partitions.indices {
                let partition = plan.topics[t].partitions[p]
                places[TopicPartition(partition.sourceTopic, partition.partition)] = (t, p)
                for object in partition.objects {
                    if !object.hasDerivedKey { wanted.insert(object.key) }
                    if let keys = object.keysCompanion { wanted.insert(keys) }
                    if let headers = object.headersCompanion { wanted.insert(headers) }
                }
            }
        }
        for topic in plan.topics {
            do {
                for try await listed in store.keys(prefix: layout.topicFolder(topic.sourceTopic)) {
                    if wanted.remove(listed.key) != nil { continue }
                    // A key in the layout's own spelling is the derived key of the object so named:
                    // found by name alone, with no key spelled to compare.
                    let canonical = layout.canonicalObjectKey(listed.key)
                    guard let name = canonical ?? (try? layout.objectKey(parsing: listed.key)),
                        let place = places[TopicPartition(name.topic, name.partition)]
                    else { continue }
                    let objects = plan.topics[place.topic].partitions[place.partition].objects
                    var i = Self.firstIndex(of: name.startOffset, in: objects)
                    while i < objects.count, objects[i].name.startOffset == name.startOffset {
                        if objects[i].hasDerivedKey, objects[i].name == name, canonical != nil || objects[i].key == listed.key {
                            found[place.topic][place.partition][i] = true
                        }
                        i += 1
                    }
                }
            } catch {
                throw RunFailure.wrap(error, "list \(layout.topicFolder(topic.sourceTopic))")
            }
        }
        var ranges: [String] = []
        for t in plan.topics.indices {
            for p in plan.topics[t].partitions.indices {
                // Plain loops: nested closures here crashed the 6.3 optimizer (CopyPropagation) in release builds.
                let partition = plan.topics[t].partitions[p]
                var gone: [SourceObject] = []
                var kept: [SourceObject] = []
                guard wanted.count > 0 || found[t][p].contains(false) else { continue }
                for (i, object) in partition.objects.enumerated() {
                    let missing =
                        (object.hasDerivedKey ? !found[t][p][i] : wanted.contains(object.key))
                        || object.keysCompanion.map(wanted.contains) == true
                        || object.headersCompanion.map(wanted.contains) == true
                    if missing { gone.append(object) } else { kept.append(object) }
                }
                guard !gone.isEmpty else { continue }
                ranges += describe(gone, in: partition)
                guard allowMissing else { continue }
                var records: Int64? = 0
                var bytes: Int64 = 0
                for object in kept {
                    if let sum = records, let count = object.records { records = sum + count } else { records = nil }
                    bytes += object.bytes
                }
                plan.topics[t].partitions[p].objects = kept
                plan.topics[t].partitions[p].skippedMissing = gone.map(\.key)
                plan.topics[t].partitions[p].records = records
                plan.topics[t].partitions[p].bytes = bytes
            }
        }
        guard !ranges.isEmpty else { return }
        guard allowMissing else {
            throw RunFailure.invalidInput(
                "objects the manifests name are missing from the store: \(ranges.prefix(5).joined(separator: "; "))"
                    + (ranges.count > 5 ? " and \(ranges.count - 5) more ranges" : "")
                    + "; restore from a later time (--from-time), or pass --allow-missing to restore what is there")
        }
        plan.missingRanges = ranges
        plan.warnings.append("restoring without the missing objects (--allow-missing): \(ranges.joined(separator: "; "))")
    }

    /// The index of the first of `objects` (sorted by start offset) at or after `offset`.
    static func firstIndex(of offset: Int64, in objects: [SourceObject]) -> Int {
        var low = 0
        var high = objects.count
        while low < high {
            let middle = (low + high) / 2
            if objects[middle].name.startOffset < offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// `t/0 offsets [10, 40) (3 objects)` for each run of consecutive missing objects.
    static func describe(_ gone: [SourceObject], in partition: PartitionPlan) -> [String] {
        var ranges: [(start: Int64, end: Int64, count: Int)] = []
        for object in gone {
            let start = object.manifest?.spanStart ?? object.name.startOffset
            let end = object.manifest?.spanEnd ?? start + 1
            if let last = ranges.last, last.end == start {
                ranges[ranges.count - 1].end = end
                ranges[ranges.count - 1].count += 1
            } else {
                ranges.append((start, end, 1))
            }
        }
        return ranges.map { "\(partition.source) offsets \(OffsetRange($0.start, $0.end)) (\($0.count) object\($0.count == 1 ? "" : "s"))" }
    }
}
