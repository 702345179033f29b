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
        /// Group offsets inside `scope` whose newest saved value is an offset, and that this run did
        /// not find: gone, once their group's coordinator confirms it (`ClusterFacts.removed`).
        var vanished: [ManifestGroupPartition] = []

        var isEmpty: Bool { !topics && groupOffsets.isEmpty }
    }

    /// `topics` and `groupOffsets` (this run's) against the newest of `runs` (oldest first, as the
    /// store index holds them), walked newest first by run id, the order a restore takes each
    /// offset's newest value in: not by `previousRunId`, which runs that overlapped (shards side by
    /// side) share, so that chain skips one of them. A manifest that cannot be read ends the walk,
    /// with a warning: what was not found by then counts as changed, and is saved again.
    /// With a `scope`, the walk reads one run more than `lookBack`: an offset present at the run
    /// before was saved at most `lookBack` runs before that one (when the run before read it).
    static func changes(
        topics: [ManifestTopic], groupOffsets: [ManifestGroupOffset], scope: ClusterFacts.GroupScope?, runs: [RunID],
        store: any ObjectStore, layout: StoreLayout, warn: (String) -> Void
    ) async -> Changes {
        // A first run saves everything, without building the lookups (400,000 offsets at width).
        guard !runs.isEmpty else { return Changes(topics: !topics.isEmpty, groupOffsets: groupOffsets) }
        var topicsLeft = Dictionary(topics.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let indexOf = Dictionary(
            groupOffsets.indices.map { (ManifestGroupPartition(groupOffsets[$0]), $0) }, uniquingKeysWith: { a, _ in a })
        // Whether each offset found now has met its newest saved entry (or removal), walking back.
        var met = [Bool](repeating: false, count: groupOffsets.count)
        var unmet = indexOf.count
        // The same for offsets not found now, met only with a scope.
        var absentMet = Set<ManifestGroupPartition>()
        var vanished: [ManifestGroupPartition] = []
        var topicsChanged = false
        var unchanged = [Bool](repeating: false, count: groupOffsets.count)
        for (walked, run) in runs.reversed().prefix(scope == nil ? lookBack : lookBack + 1).enumerated() {
            guard scope != nil || !(topicsLeft.isEmpty && unmet == 0) else { break }
            let key = layout.runManifestKey(run)
            let manifest: RunManifest
            do {
                manifest = try RunManifest.decode(try await store.get(key), name: key, layout: layout)
            } catch {
                // The backup reads no older manifest otherwise: damage here would stay unsaid until
                // a restore refused the store.
                warn(
                    "the manifest \(key) of an earlier run could not be read (\(error)): this run saves again what it would have compared with it; a damaged or missing manifest makes ls, verify and restore refuse the store until it is put back from a copy"
                )
                break
            }
            let withinLookBack = walked < lookBack
            for topic in manifest.topics where withinLookBack {
                guard let now = topicsLeft.removeValue(forKey: topic.name) else { continue }
                if !sameTopic(now, topic) { topicsChanged = true }
            }
            // A removal newer than any saved value: an offset found now is saved again.
            for removed in manifest.removedGroupOffsets ?? [] {
                if let index = indexOf[removed] {
                    if !met[index] { (met[index], unmet) = (true, unmet - 1) }
                } else if scope != nil {
                    absentMet.insert(removed)
                }
            }
            for saved in manifest.consumerGroupOffsets {
                let name = ManifestGroupPartition(saved)
                if let index = indexOf[name] {
                    guard withinLookBack, !met[index] else { continue }
                    (met[index], unmet) = (true, unmet - 1)
                    let now = groupOffsets[index]
                    if now.offset == saved.offset && now.metadata == saved.metadata { unchanged[index] = true }
                } else if let scope, absentMet.insert(name).inserted, scope.covers(name) {
                    vanished.append(name)
                }
            }
        }
        return Changes(
            topics: topicsChanged || !topicsLeft.isEmpty,
            groupOffsets: groupOffsets.indices.filter { !unchanged[$0] }.map { groupOffsets[$0] },
            vanished: vanished)
    }

    /// A run that could not describe the topic's configs (a broker without DescribeConfigs, or one
    /// failing this time) has none: only its partition count is compared, so a failed look does not
    /// replace the saved configs with nothing.
    static func sameTopic(_ now: ManifestTopic, _ saved: ManifestTopic) -> Bool {
        now.configs.isEmpty ? now.partitionCount == saved.partitionCount : now == saved
    }
}
