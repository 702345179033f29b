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
        var listed = Set<String>()
        for topic in plan.topics {
            do {
                // Page by page, keys only: a million listed objects' sizes, ETags and times are not kept.
                for try await object in store.objects(prefix: layout.topicFolder(topic.sourceTopic)) { listed.insert(object.key) }
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
                for object in partition.objects {
                    let keys = [object.key] + [object.keysCompanion, object.headersCompanion].compactMap { $0 }
                    if keys.allSatisfy(listed.contains) { kept.append(object) } else { gone.append(object) }
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
