import Layout
import ObjectStore

/// What a run saves of the cluster besides records, measured against what the runs before saved:
/// every group offset saved in every run made manifests of wide clusters large (11 MB a run at
/// 100 groups x 1,000 partitions) and every later `ls`, `verify` and restore read them all. A
/// restore takes each group offset's newest saved value, so an offset that did not change need not
/// be saved again. A run with no new record writes a manifest only when something changed.
enum SavedFacts {
    /// Runs walked back from the newest for the last saved value of each topic and group offset:
    /// other jobs' and shards' runs may stand between this job's runs. A value not found within them
    /// is saved again, so no walk has to go further.
    static let lookBack = 16

    struct Changes: Equatable {
        /// A topic's partition count or configs differ from the newest saved, or no run within
        /// `lookBack` saved the topic.
        var topics: Bool
        /// The group offsets to save: those whose newest saved value differs or was not found.
        var groupOffsets: [ManifestGroupOffset]

        var isEmpty: Bool { !topics && groupOffsets.isEmpty }
    }

    /// `topics` and `groupOffsets` (this run's) against the runs up to `last`. A manifest that cannot
    /// be read ends the walk: what was not found by then counts as changed, and is saved again.
    static func changes(
        topics: [ManifestTopic], groupOffsets: [ManifestGroupOffset], last: RunID?, store: any ObjectStore, layout: StoreLayout
    ) async -> Changes {
        // A first run saves everything, without building the lookups (400,000 offsets at width).
        guard last != nil else { return Changes(topics: !topics.isEmpty, groupOffsets: groupOffsets) }
        var topicsLeft = Dictionary(topics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var offsetsLeft = Dictionary(
            groupOffsets.indices.map { (GroupPartition(groupOffsets[$0]), $0) }, uniquingKeysWith: { a, _ in a })
        var topicsChanged = false
        var unchanged = [Bool](repeating: false, count: groupOffsets.count)
        var next = last
        for _ in 0..<lookBack {
            guard let run = next, !(topicsLeft.isEmpty && offsetsLeft.isEmpty) else { break }
            let key = layout.runManifestKey(run)
            guard let manifest = try? RunManifest.decode(try await store.get(key), name: key, layout: layout) else { break }
            for topic in manifest.topics {
                guard let now = topicsLeft.removeValue(forKey: topic.name) else { continue }
                if !sameTopic(now, topic) { topicsChanged = true }
            }
            for saved in manifest.consumerGroupOffsets {
                guard let index = offsetsLeft.removeValue(forKey: GroupPartition(saved)) else { continue }
                let now = groupOffsets[index]
                if now.offset == saved.offset && now.metadata == saved.metadata { unchanged[index] = true }
            }
            next = manifest.previousRunId
        }
        return Changes(
            topics: topicsChanged || !topicsLeft.isEmpty,
            groupOffsets: groupOffsets.indices.filter { !unchanged[$0] }.map { groupOffsets[$0] })
    }

    /// A run that could not describe the topic's configs (a broker without DescribeConfigs, or one
    /// failing this time) has none: only its partition count is compared, so a failed look does not
    /// replace the saved configs with nothing.
    static func sameTopic(_ now: ManifestTopic, _ saved: ManifestTopic) -> Bool {
        now.configs.isEmpty ? now.partitionCount == saved.partitionCount : now == saved
    }

    private struct GroupPartition: Hashable {
        var group: String
        var topic: String
        var partition: Int32

        init(_ offset: ManifestGroupOffset) {
            group = offset.group
            topic = offset.topic
            partition = offset.partition
        }
    }
}
