import Layout
import ObjectStore

/// A run that reads no new record writes no manifest, unless the cluster changed since the store's
/// runs last saw it: a topic's partition count or configs, or a group's committed offset (consumers
/// that caught up on a quiet topic). Without one, a restore would use the old view for good.
enum QuietRunFacts {
    /// Runs walked back from the newest for the last view of each topic and group offset: other
    /// jobs' and shards' runs may stand between this job's runs.
    static let lookBack = 16

    /// Whether `topics` or `groupOffsets` differ from the newest view the runs up to `last` hold. A
    /// topic or offset no run within `lookBack` names, or a manifest that cannot be read, counts as
    /// changed: saving it again costs one small manifest, missing it a wrong restore.
    static func changed(
        topics: [ManifestTopic], groupOffsets: [ManifestGroupOffset], last: RunID?, store: any ObjectStore, layout: StoreLayout
    ) async -> Bool {
        // No run yet: the store holds nothing a change could concern.
        guard var run = last else { return false }
        var topicsLeft = Dictionary(topics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var offsetsLeft = Dictionary(groupOffsets.map { (GroupPartition($0), $0.offset) }, uniquingKeysWith: { a, _ in a })
        for _ in 0..<lookBack {
            let key = layout.runManifestKey(run)
            guard let manifest = try? RunManifest.decode(try await store.get(key), name: key, layout: layout) else { return true }
            for topic in manifest.topics {
                guard let now = topicsLeft.removeValue(forKey: topic.name) else { continue }
                if !sameTopic(now, topic) { return true }
            }
            for saved in manifest.consumerGroupOffsets {
                guard let now = offsetsLeft.removeValue(forKey: GroupPartition(saved)) else { continue }
                if now != saved.offset { return true }
            }
            if topicsLeft.isEmpty && offsetsLeft.isEmpty { return false }
            guard let previous = manifest.previousRunId else { return true }
            run = previous
        }
        return true
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
