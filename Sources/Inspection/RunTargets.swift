import Layout
import ObjectStore
import StoreMetadata

/// Stage 2's targets in a store with manifests, a few thousand at a time: the manifests are read
/// again, a group at a time, and each object is judged as stage 1 judged it
/// (`StructureCheck.target`). Holding a target per object of the store instead took about 0.5 KB
/// each, over 250 MB at a year of hourly runs of 64 partitions. Manifests are never rewritten
/// (prune leaves them), so the second reading finds what the first did.
struct RunTargets: Sendable {
    let store: any ObjectStore
    let contents: StoreContents
    /// Targets handed on at once (at least a group's worth of runs').
    var batchSize = 4096
    /// Manifests read per request group.
    static let manifestsPerGroup = 8

    /// Calls `body` with the next targets until every run's are done, in run order.
    func forEachBatch(_ body: ([DataTarget]) async throws -> Void) async throws {
        let keys = contents.runs.map(\.key)
        let (layout, listed, firstOffsets) = (contents.layout, contents.listed, contents.pruned.firstOffsets)
        var batch: [DataTarget] = []
        var start = 0
        while start < keys.count {
            let group = Array(keys[start..<min(start + Self.manifestsPerGroup * 2, keys.count)])
            start += group.count
            try await forEachObjectConcurrently(
                group, in: store, perGroup: Self.manifestsPerGroup,
                { key, body -> [DataTarget] in
                    try Self.targets(of: key, body, layout: layout, listed: listed, firstOffsets: firstOffsets)
                },
                collect: { batch += $0 })
            if batch.count >= batchSize || start == keys.count {
                try await body(batch)
                batch = []
            }
        }
    }

    /// The targets of the manifest at `key` (read as `body`).
    private static func targets(
        of key: String, _ body: Result<[UInt8], any Error>, layout: StoreLayout, listed: ListedObjects,
        firstOffsets: [TopicPartition: Int64]
    ) throws -> [DataTarget] {
        let manifest: RunManifest
        do {
            manifest = try RunManifest.decode(try body.get(), name: key, layout: layout)
        } catch let error as StoreError {
            throw InspectionError.store(error)
        } catch let error as ManifestError {
            // Stage 1 read it: it was replaced since, by something other than ktape.
            throw InspectionError.unreadableManifest(error)
        }
        guard manifest.store.topicsDir == layout.topicsDir else { return [] }
        return manifest.objects.compactMap { object in
            let first = firstOffsets.isEmpty ? 0 : firstOffsets[TopicPartition(object.topic, object.partition)] ?? 0
            return StructureCheck.target(of: object, run: manifest.runId, first: first, listed: listed, layout: layout)
        }
    }
}
