/// Which Kafka cluster each topic's offsets were read from, run by run. A backup never continues a
/// topic's history from another cluster (its offsets are another log's), so a store whose runs
/// cover one topic's offsets from two clusters was put together from two stores: a copy synced over
/// another, say, after a failover cluster was backed up into a prefix of its own. The offsets may
/// even line up, and a restore would then produce one cluster's records after the other's.
public struct SourceClusters: Sendable {
    private struct Runs: Sendable {
        var first: RunID
        var last: RunID
        var count = 1
    }

    /// Per topic, per cluster id, the runs that covered the topic's offsets from it.
    private var runs: [String: [String: Runs]] = [:]

    public init() {}

    /// Counts the topics `manifest` covered offsets of (records or gaps), as a backup's own check
    /// does; a run that recorded no cluster id (ktape before it) says nothing.
    public mutating func add(_ manifest: RunManifest) {
        guard let clusterId = manifest.clusterId else { return }
        for topic in Set(manifest.partitions.map(\.topic)) {
            if var seen = runs[topic]?[clusterId] {
                seen.first = min(seen.first, manifest.runId)
                seen.last = max(seen.last, manifest.runId)
                seen.count += 1
                runs[topic]?[clusterId] = seen
            } else {
                runs[topic, default: [:]][clusterId] = Runs(first: manifest.runId, last: manifest.runId)
            }
        }
    }

    /// Topics whose offsets runs read from more than one cluster, each with one line for the user.
    public var conflicts: [(topic: String, message: String)] {
        runs.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { topic, clusters in
            let named = clusters.sorted { $0.value.first < $1.value.first }.map { cluster, runs in
                "\(cluster) (" + (runs.count == 1 ? "run \(runs.first)" : "\(runs.count) runs, \(runs.first) to \(runs.last)") + ")"
            }
            return (
                topic,
                "its runs read its offsets from \(clusters.count) Kafka clusters, \(named.joined(separator: " and ")), "
                    + "which no backup does: this store was merged from the stores of different clusters (one synced over the "
                    + "other?); copy each into a store of its own again, or remove one cluster's run manifests and the index"
            )
        }
    }
}
