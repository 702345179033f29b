import Foundation
import Layout
import ObjectStore

/// Run manifests read from `_ktape/runs/`, a few at a time. A manifest that cannot be read is an
/// error naming it: no run guesses a checkpoint past it.
public enum ManifestHistory {
    /// Every manifest of the store, in run order.
    public static func load(store: any ObjectStore, layout: StoreLayout) async throws -> [RunManifest] {
        try await read(keys: try await store.listAll(prefix: layout.runsFolder).map(\.key), store: store, layout: layout)
    }

    /// Every manifest of the store, each handed to `body` as it is read (in no set order) and then let
    /// go, so that the objects of a long history are never all held at once.
    public static func forEach(store: any ObjectStore, layout: StoreLayout, _ body: (RunManifest) throws -> Void) async throws {
        let keys = try await store.listAll(prefix: layout.runsFolder).map(\.key).filter { layout.runID(fromKey: $0) != nil }
        try await forEachObjectConcurrently(
            keys, in: store, perGroup: 16, { key, bytes in try RunManifest.decode(try bytes.get(), name: key, layout: layout) },
            collect: body)
    }

    /// Every manifest of the store in run order, without its objects and group offsets: what the
    /// store index, a topic list or a run's settings need. Read as `forEach` reads them, so that a
    /// long history's objects are never all held (a million took 468 MiB to fold an index).
    public static func loadOutlines(store: any ObjectStore, layout: StoreLayout) async throws -> [RunManifest] {
        var outlines: [RunManifest] = []
        try await forEach(store: store, layout: layout) { manifest in
            var outline = manifest
            outline.objects = []
            outline.consumerGroupOffsets = []
            outline.removedGroupOffsets = nil
            outlines.append(outline)
        }
        return outlines.sortedByRun()
    }

    /// The manifests of runs whose ids sort after `run` (S3 lists from there on).
    public static func load(after run: RunID, store: any ObjectStore, layout: StoreLayout) async throws -> [RunManifest] {
        let keys = try await store.listAll(prefix: layout.runsFolder, startAfter: layout.runManifestKey(run)).map(\.key)
        return try await read(keys: keys, store: store, layout: layout)
    }

    /// The manifests of these runs that exist (a run killed before its manifest has none).
    public static func load(runs: [RunID], store: any ObjectStore, layout: StoreLayout) async throws -> [RunManifest] {
        try await read(keys: runs.map(layout.runManifestKey), store: store, layout: layout, missingIsFine: true)
    }

    static func read(keys: [String], store: any ObjectStore, layout: StoreLayout, missingIsFine: Bool = false) async throws -> [RunManifest]
    {
        let manifestKeys = keys.filter { layout.runID(fromKey: $0) != nil }
        let read = try await mapConcurrently(manifestKeys, limit: 16) { key -> RunManifest? in
            let bytes: [UInt8]
            do {
                bytes = try await store.get(key)
            } catch let error as StoreError where missingIsFine && error.isNotFound {
                return nil
            }
            return try RunManifest.decode(bytes, name: key, layout: layout)
        }
        return read.compactMap { $0 }.sortedByRun()
    }
}
