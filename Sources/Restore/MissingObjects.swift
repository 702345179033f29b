import Failures
import Foundation
import Layout
import ObjectStore
import StoreMetadata

/// Objects a plan needs that the store no longer holds (deleted behind ktape's back: a lifecycle
/// rule, a manual delete), found before anything is produced from one listing of each restored
/// topic. Without `allowMissing` the restore stops naming the missing ranges; with it they are
/// left out of the plan and listed in the summary. Objects listed at another size than their
/// manifest records are damage, a problem of the plan whatever `allowMissing` says: the run would
/// otherwise stop at the first of them with the partitions before it produced.
enum MissingObjects {
    static func check(_ plan: inout RestorePlan, store: any ObjectStore, layout: StoreLayout, allowMissing: Bool) async throws {
        guard plan.fromManifests else { return }
        // What the plan needs, struck off as the listing streams past (a million listed keys are
        // never held): objects whose key derives from their name are found by that name, in their
        // partition's objects sorted by offset; kept keys and companions by their text, each with
        // its recorded size (`unrecorded` for a companion of an older manifest).
        var found: [[[Bool]]] = plan.topics.map { $0.partitions.map { [Bool](repeating: false, count: $0.objects.count) } }
        var places: [TopicPartition: (topic: Int, partition: Int)] = [:]
        var wanted: [String: Int64] = [:]
        let unrecorded: Int64 = -1
        var wrongSize: [(key: String, listed: Int64, recorded: Int64)] = []
        func compare(_ key: String, listed: Int64?, recorded: Int64) {
            if let listed, recorded != unrecorded, listed != recorded { wrongSize.append((key, listed, recorded)) }
        }
        for t in plan.topics.indices {
            for p in plan.topics[t].partitions.indices {
                let partition = plan.topics[t].partitions[p]
                places[TopicPartition(partition.sourceTopic, partition.partition)] = (t, p)
                for object in partition.objects {
                    if !object.hasDerivedKey { wanted[object.key] = object.bytes }
                    if let keys = object.keysCompanion { wanted[keys] = object.keysCompanionRecorded?.size ?? unrecorded }
                    if let headers = object.headersCompanion { wanted[headers] = object.headersCompanionRecorded?.size ?? unrecorded }
                }
            }
        }
        for topic in plan.topics {
            do {
                // With sizes: a directory store's keys alone save a stat per file, but the restore
                // reads each of these files in full anyway.
                for try await listed in store.sizedKeys(prefix: layout.topicFolder(topic.sourceTopic)) {
                    if let recorded = wanted.removeValue(forKey: listed.key) {
                        compare(listed.key, listed: listed.size, recorded: recorded)
                        continue
                    }
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
                            compare(listed.key, listed: listed.size, recorded: objects[i].bytes)
                        }
                        i += 1
                    }
                }
            } catch {
                throw RunFailure.wrap(error, "list \(layout.topicFolder(topic.sourceTopic))")
            }
        }
        if !wrongSize.isEmpty { plan.problems.append(describe(wrongSize)) }
        var ranges: [String] = []
        var goneEnds: [(partition: TopicPartition, spanEnd: Int64)] = []
        for t in plan.topics.indices {
            for p in plan.topics[t].partitions.indices {
                // Plain loops: nested closures here crashed the 6.3 optimizer (CopyPropagation) in release builds.
                let partition = plan.topics[t].partitions[p]
                var gone: [SourceObject] = []
                var kept: [SourceObject] = []
                guard wanted.count > 0 || found[t][p].contains(false) else { continue }
                for (i, object) in partition.objects.enumerated() {
                    let missing =
                        (object.hasDerivedKey ? !found[t][p][i] : wanted[object.key] != nil)
                        || object.keysCompanion.map { wanted[$0] != nil } == true
                        || object.headersCompanion.map { wanted[$0] != nil } == true
                    if missing { gone.append(object) } else { kept.append(object) }
                }
                guard !gone.isEmpty else { continue }
                ranges += describe(gone, in: partition)
                for object in gone {
                    goneEnds.append(
                        (
                            TopicPartition(partition.sourceTopic, partition.partition),
                            object.manifest?.spanEnd ?? object.name.startOffset + 1
                        ))
                }
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
        // A prune that removed them after the catalog read the prune record: a rerun plans without
        // them, as pruned, where this one would call them missing (exit 2, --allow-missing).
        if let pruned = try? await PrunedStateKeeper.read(store: store, layout: layout),
            goneEnds.allSatisfy({ $0.spanEnd <= pruned.firstOffsets[$0.partition] ?? .min })
        {
            throw RunFailure.failure(
                "ktape prune removed objects this restore planned to read while it planned (\(ranges.prefix(3).joined(separator: "; "))"
                    + (ranges.count > 3 ? " and \(ranges.count - 3) more ranges" : "")
                    + "); run it again: it plans from what the prune left")
        }
        guard allowMissing else {
            throw RunFailure.invalidInput(
                "objects the manifests name are missing from the store: \(ranges.prefix(5).joined(separator: "; "))"
                    + (ranges.count > 5 ? " and \(ranges.count - 5) more ranges" : "")
                    + "; restore from a later time (--from-time), or pass --allow-missing to restore what is there")
        }
        plan.missingRanges = ranges
        plan.warnings.append("restoring without the missing objects (--allow-missing): \(ranges.joined(separator: "; "))")
    }

    /// One problem for the objects listed at another size than their manifests record.
    static func describe(_ wrongSize: [(key: String, listed: Int64, recorded: Int64)]) -> String {
        let advice = "it was damaged or replaced after the backup; `ktape verify` checks the whole store"
        if wrongSize.count == 1, let only = wrongSize.first {
            return "object \(only.key) is \(only.listed) bytes in the store, but its manifest recorded \(only.recorded): \(advice)"
        }
        let named = wrongSize.prefix(5).map { "\($0.key) is \($0.listed) bytes, recorded \($0.recorded)" }
        return "\(wrongSize.count) objects differ in size from what their manifests recorded: \(named.joined(separator: "; "))"
            + (wrongSize.count > 5 ? " and \(wrongSize.count - 5) more" : "") + "; each was damaged or replaced after the backup; "
            + "`ktape verify` checks the whole store"
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
