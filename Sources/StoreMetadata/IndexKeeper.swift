import Foundation
import Layout
import ObjectStore

/// Reads and folds `_ktape/index.json` (`StoreIndex`). Every change is read-modify-write with
/// `If-Match` on the version read (`If-None-Match` to create it), so runs folding at once never lose
/// each other's runs. A store without an index (written by ktape before it, or whose index was
/// removed) gets one folded from a listing of every manifest.
public enum IndexKeeper {
    /// Attempts at a read-modify-write before giving up on an index other runs keep changing.
    static let attempts = 20

    /// The checkpoint a backup resumes from: the index, with any manifest listed after its newest run
    /// folded in first (runs of an older ktape), or every manifest when there is no index yet.
    /// A store with manifests but no index gets its index written here, so the runs after this one
    /// (with new data or not) read one object; a store without manifests gets none. `shard` is the
    /// run's label (`StoreIndex.checkpoint`).
    public static func checkpoint(
        store: any ObjectStore, layout: StoreLayout, expectedConfigHash: String, shard: String = "all",
        options: PutOptions = PutOptions()
    ) async throws -> Checkpoint {
        var index: StoreIndex
        if let current = try await read(store: store, layout: layout)?.index {
            index = current
            if let last = current.lastRunId {
                // A run folds its manifest only once it is written, and nothing deletes manifests:
                // without it the store is torn (a copy taken as that run finished) or it was lost.
                // Going on would chain onto records no manifest names, for good.
                guard try await store.exists(layout.runManifestKey(last)) else {
                    throw IndexAheadOfManifests(run: last, indexKey: layout.indexKey, manifestKey: layout.runManifestKey(last))
                }
                let newer = try await ManifestHistory.load(after: last, store: store, layout: layout)
                if let evidence = index.forkEvidence(in: newer) { throw ForkedHistory(evidence: evidence, layout: layout) }
                if !newer.isEmpty { index = try await fold(newer, store: store, layout: layout, options: options) }
            } else {
                // Only a run's claim of the settings (`claimSettings`): that run may have written its
                // manifest since, and been killed before folding it.
                let all = try await ManifestHistory.load(store: store, layout: layout)
                if let evidence = index.forkEvidence(in: all) { throw ForkedHistory(evidence: evidence, layout: layout) }
                if !all.isEmpty { index = try await fold(all, store: store, layout: layout, options: options) }
            }
        } else {
            let outlines = try await ManifestHistory.loadOutlines(store: store, layout: layout)
            if let evidence = StoreIndex().forkEvidence(in: outlines) { throw ForkedHistory(evidence: evidence, layout: layout) }
            index = try StoreIndex.of(outlines)
            if !index.runs.isEmpty { index = try await fold([], store: store, layout: layout, options: options) }
        }
        return try index.checkpoint(expectedConfigHash: expectedConfigHash, shard: shard)
    }

    /// Folds `manifests` into the index (creating it from a listing when there is none) and returns it.
    /// `options` are the headers every metadata write of the run carries (encryption, ACL, owner).
    @discardableResult
    public static func fold(
        _ manifests: [RunManifest], store: any ObjectStore, layout: StoreLayout,
        options: PutOptions = PutOptions()
    ) async throws -> StoreIndex {
        try await update(store: store, layout: layout, options: options) { index, existed in
            let before = index
            try index.fold(manifests)
            return !existed || index != before
        }
    }

    /// Makes `configHash` the store's settings, unless the index already holds others, which it
    /// returns: a run checks this just before writing its manifest. The index's write condition
    /// makes it one step, so of two first runs with different settings that end at once exactly one
    /// writes a manifest (each reading the index and writing its manifest, both went on, and every
    /// later backup stopped on the store's two settings). Until the claiming run's manifest is
    /// folded, the index names no run.
    public static func claimSettings(
        _ configHash: String, store: any ObjectStore, layout: StoreLayout, options: PutOptions = PutOptions()
    ) async throws -> StoreIndex? {
        var held: StoreIndex?
        try await update(store: store, layout: layout, options: options) { index, _ in
            held = nil
            if let stored = index.configHash {
                if stored != configHash { held = index }
                return false
            }
            index.configHash = configHash
            return true
        }
        return held
    }

    /// A read-modify-write of the index: `change` edits the index read (or one folded from a listing
    /// of every manifest when there is none, which it is told) and says whether to write it. The
    /// write is conditional on the version read (`If-None-Match` to create it), and it starts over
    /// when another run changed the index in between, so runs changing it at once never lose each
    /// other's change. Returns the index as written, or as read when `change` wrote nothing.
    @discardableResult
    private static func update(
        store: any ObjectStore, layout: StoreLayout, options base: PutOptions,
        _ change: (inout StoreIndex, _ existed: Bool) throws -> Bool
    ) async throws -> StoreIndex {
        for attempt in 1...attempts {
            let current = try await read(store: store, layout: layout)
            var index: StoreIndex
            var options = base
            options.contentType = "application/json"
            options.ifMatch = nil
            options.ifNoneMatch = false
            if let current {
                index = current.index
                options.ifMatch = current.etag
            } else {
                index = try StoreIndex.of(try await ManifestHistory.loadOutlines(store: store, layout: layout))
                options.ifNoneMatch = true
            }
            guard try change(&index, current != nil) else { return index }
            do {
                try await store.put(layout.indexKey, body: Array(try index.encoded()), options: options)
                return index
            } catch let error as StoreError where error.isConditionFailed {
                // Another run changed it first, or this write landed and its answer was lost: read again.
                if attempt > 1 { try? await Task.sleep(nanoseconds: UInt64.random(in: 10_000_000...50_000_000)) }
            }
        }
        throw StoreError(
            .transient, operation: "update", location: store.location, key: layout.indexKey,
            message: "other runs changed it in each of \(attempts) attempts")
    }

    /// Folds the manifests of these runs, if they wrote any: runs whose leases are dropped (killed
    /// between writing their manifest and folding it).
    public static func foldRuns(
        _ runs: [RunID], store: any ObjectStore, layout: StoreLayout,
        options: PutOptions = PutOptions()
    ) async throws {
        guard !runs.isEmpty else { return }
        let manifests = try await ManifestHistory.load(runs: runs, store: store, layout: layout)
        if !manifests.isEmpty { try await fold(manifests, store: store, layout: layout, options: options) }
    }

    /// The index and the ETag of the version read, or nil when the store has none.
    public static func read(store: any ObjectStore, layout: StoreLayout) async throws -> (index: StoreIndex, etag: String)? {
        let object: TaggedObject
        do {
            object = try await store.getTagged(layout.indexKey)
        } catch let error as StoreError where error.isNotFound {
            return nil
        }
        return (try StoreIndex.decode(Data(object.body), name: layout.indexKey), object.etag)
    }

    /// Of `missing` (runs the index names that a listing of the runs folder lacked), those whose
    /// manifest is there now: a backup that wrote and folded it after the listing, while a restore
    /// or verify read the store, not a lost manifest. Only the newest 64 are asked (one HEAD each):
    /// runs finishing meanwhile are among the newest, and the rest stay missing.
    public static func landedSinceListing(_ missing: [RunID], store: any ObjectStore, layout: StoreLayout) async throws
        -> Set<RunID>
    {
        var landed = Set<RunID>()
        for run in missing.sorted().suffix(64) where try await store.exists(layout.runManifestKey(run)) {
            landed.insert(run)
        }
        return landed
    }
}

/// The index names as its newest run one whose manifest is not in the store.
public struct IndexAheadOfManifests: Error, Sendable, CustomStringConvertible {
    public var run: RunID
    public var indexKey: String
    public var manifestKey: String

    public var description: String {
        "the store index \(indexKey) names run \(run) as its newest, but its manifest \(manifestKey) is missing: "
            + "a copy taken as that run finished, or a lost manifest (ktape verify tells more); backing up on would leave "
            + "what it stored named by no manifest. Remove \(indexKey) (or copy the manifest in): the next backup rebuilds "
            + "the index from the manifests there and backs up again what that run held, while Kafka keeps it"
    }
}

/// Manifests that are not this store's history (`StoreIndex.forkEvidence`): folding them would let
/// backups go on, run after run, in a store a restore refuses.
public struct ForkedHistory: Error, Sendable, CustomStringConvertible {
    public var evidence: String
    let layout: StoreLayout

    public var description: String {
        "\(evidence): runs of another copy of this store synced into it after both were backed up (a fork, which a "
            + "restore refuses), or a lost manifest; ktape verify lists what is wrong. Back up into one copy only: remove the "
            + "other copy's run manifests and \(layout.indexKey) (or copy a lost manifest in)"
    }
}

/// A store index that names none of the runs whose manifests are there: another store's (copied in
/// over this one's), not lost manifests, whatever the runs it names.
public enum IndexOfAnotherStore {
    public static func message(index: String, manifests: Int) -> String {
        "the store index \(index) names none of the \(manifests) runs whose manifests are here: it is another store's "
            + "(copied in over this one's), not a sign of lost manifests; remove it, and the next backup folds it again "
            + "from the manifests"
    }
}
