import Foundation
import JobSpec
import Layout
import ObjectStore
import StoreMetadata

/// What a store holds, as `ls` and `verify` see it before reading any data: the listing of the
/// topics dir sorted into partitions, and every run manifest (or why one could not be read).
public struct StoreContents: Sendable {
    /// A run manifest and the key it was read from.
    public struct Run: Sendable {
        public var key: String
        public var manifest: RunManifest
    }

    public let location: String
    public let layout: StoreLayout
    /// Size (and, when asked for with `keepETags`, ETag) of every key listed under the topics dir.
    public let listed: ListedObjects
    /// The listing of the topics dir: keys outside ktape's layout (`rejected`), and for a store without
    /// manifests, whose listing is all it knows, the keys sorted into partitions and companions.
    public let index: ObjectKeyIndex
    /// Readable manifests, in run order, without their objects and partition records (each manifest
    /// was folded into `figures` and shown to `load`'s `examine` as it arrived).
    public let runs: [Run]
    /// Manifests that could not be parsed (format, version, JSON).
    public let unreadableManifests: [ManifestError]
    /// Keys in the runs folder that are not `<run id>.json`.
    public let strayRunKeys: [String]
    /// Where each pruned partition now starts (`_ktape/pruned.json`); empty when never pruned.
    public let pruned: PrunedState
    /// When neither the topics dir nor the runs folder holds anything: the first keys found elsewhere
    /// under the store's prefix (at most `elsewhereLimit`), so that ls can say what is there.
    public var elsewhere: [ObjectSummary] = []
    /// Data objects and companions in the listing that no manifest names (left by a killed run, or
    /// copied in from elsewhere), sorted. Empty for a store without manifests: there the listing is
    /// the only truth.
    public let orphanKeys: [String]
    /// What `ls` reports of the manifests, folded in as they were read (empty unless asked for).
    public let figures: ManifestFigures
    public static let elsewhereLimit = 1000

    /// Which listed sizes `load` learns.
    public enum Sizes: Sendable {
        /// Every listed object's (verify compares them with the manifests').
        case every
        /// Those `ls` shows: of orphans, and of every object in a store without manifests. Where the
        /// store lists keys more cheaply without sizes (a directory store: no `stat` per file), the
        /// others stay `ListedObjects.unknownSize`.
        case shown
    }

    /// Lists the topics dir and the runs folder and reads every manifest (in groups of `concurrency`,
    /// two groups at a time). Each readable manifest is folded into `figures` (when `wanted`: verify
    /// has no use for them) and shown to `examine` as it arrives (with the whole listing, where in it
    /// each of the run's objects is listed, and where each pruned partition now starts), then its
    /// objects and partition records are let go, so that a million objects' entries are never all held.
    /// Throws `InspectionError.store` when the store cannot be listed or a manifest fetched.
    public static func load(
        store: any ObjectStore, layout: StoreLayout, concurrency: Int = 8,
        sizes: Sizes = .every, keepETags: Bool = false, figures wanted: Bool = true,
        examine: (Run, ListedObjects, ListedPlaces, [TopicPartition: Int64]) -> Void = { _, _, _, _ in }
    ) async throws -> StoreContents {
        // The listing is kept as sizes and keys only, page by page: ETags and times of a million
        // objects would stay in memory beside every manifest (ETags only for a stored-checksum check).
        var listed = ListedObjects(keepETags: keepETags)
        let metadata: [ObjectSummary]
        var strays: [String] = []
        var manifestKeys: [String] = []
        do {
            metadata = try await store.listAll(prefix: layout.runsFolder)
            for object in metadata where !isFolderMarker(object.key, size: object.size) {
                if layout.runID(fromKey: object.key) != nil { manifestKeys.append(object.key) } else { strays.append(object.key) }
            }
            if sizes == .shown && !manifestKeys.isEmpty {
                for try await listing in store.keys(prefix: layout.topicsFolder) where !isFolderMarker(listing.key, size: listing.size) {
                    listed.insert(listing.key, size: listing.size ?? ListedObjects.unknownSize)
                }
            } else if keepETags {
                for try await object in store.objects(prefix: layout.topicsFolder) where !isFolderMarker(object.key, size: object.size) {
                    listed.insert(
                        object.key, size: object.size, etag: object.etag,
                        // The classes a backup refuses to write: their objects must be thawed to be read.
                        archiveClass: object.storageClass.flatMap { StorageClass.refused[$0] == nil ? nil : $0 })
                }
            } else {
                for try await listing in store.sizedKeys(prefix: layout.topicsFolder) where !isFolderMarker(listing.key, size: listing.size)
                {
                    listed.insert(listing.key, size: listing.size ?? ListedObjects.unknownSize)
                }
            }
        } catch let error as StoreError {
            throw InspectionError.store(error)
        }
        // With manifests only strays are wanted, and a key the layout spells as its own is none.
        let index =
            manifestKeys.isEmpty
            ? ObjectKeyIndex(keys: listed.keys, layout: layout)
            : ObjectKeyIndex(keys: listed.keys(where: { !layout.isCanonicalKey($0) }), layout: layout, rejectedOnly: true)
        let noData = listed.isEmpty

        enum Outcome: Sendable {
            case run(Run)
            case unreadable(ManifestError)
            case failed(StoreError)
        }
        var runs: [Run] = []
        var unreadable: [ManifestError] = []
        var failure: StoreError?
        // Read first: the figures leave out what was pruned.
        var pruned = PrunedState()
        do {
            pruned = try await PrunedStateKeeper.read(store: store, layout: layout)
        } catch let error as ManifestError {
            unreadable.append(error)
        } catch let error as StoreError {
            throw InspectionError.store(error)
        }
        let firstOffsets = pruned.firstOffsets
        var figures = ManifestFigures()
        try await forEachObjectConcurrently(
            manifestKeys, in: store, perGroup: concurrency,
            { key, body -> Outcome in
                do {
                    return .run(Run(key: key, manifest: try RunManifest.decode(try body.get(), name: key, layout: layout)))
                } catch let error as ManifestError {
                    return .unreadable(error)
                } catch let error as StoreError {
                    return .failed(error)
                } catch {
                    return .unreadable(ManifestError(manifest: key, reason: "\(error)"))
                }
            },
            collect: { fetched in
                switch fetched {
                case .run(var run):
                    let (naming, places) = Self.markNamed(by: run.manifest, in: &listed)
                    if wanted { figures.add(run.manifest, key: run.key, naming: naming, firstOffsets: firstOffsets) }
                    examine(run, listed, places, firstOffsets)
                    run.manifest.objects = []
                    run.manifest.partitions = []
                    // Nothing here reads group offsets, and a wide cluster's are many.
                    run.manifest.consumerGroupOffsets = []
                    run.manifest.removedGroupOffsets = nil
                    runs.append(run)
                case .unreadable(let error): unreadable.append(error)
                case .failed(let error): failure = failure ?? error
                }
            })
        if let failure { throw InspectionError.store(failure) }
        var orphans = manifestKeys.isEmpty ? [] : Self.unnamed(in: listed, rejected: index.rejected)
        if sizes == .shown { orphans = try await Self.learnSizes(of: orphans, in: &listed, store: store, concurrency: concurrency) }

        var elsewhere: [ObjectSummary] = []
        if noData && metadata.isEmpty {
            do {
                elsewhere = try await store.list(
                    prefix: layout.prefixFolder, delimiter: nil, continuationToken: nil, maxKeys: elsewhereLimit
                ).objects
            } catch let error as StoreError {
                throw InspectionError.store(error)
            }
        }
        var contents = StoreContents(
            location: store.location, layout: layout,
            listed: listed, index: index,
            runs: runs.sorted { ($0.manifest.runId, $0.key) < ($1.manifest.runId, $1.key) },
            unreadableManifests: unreadable.sorted { $0.manifest < $1.manifest },
            strayRunKeys: strays.sorted(), pruned: pruned, orphanKeys: orphans, figures: figures)
        contents.elsewhere = elsewhere
        return contents
    }

    /// Asks the store for the size of each of `keys` listed without one; returns `keys` without those
    /// gone since the listing.
    private static func learnSizes(
        of keys: [String], in listed: inout ListedObjects, store: any ObjectStore, concurrency: Int
    ) async throws -> [String] {
        let unknown = keys.filter { listed.size(of: $0) == ListedObjects.unknownSize }
        guard !unknown.isEmpty else { return keys }
        var gone = Set<String>()
        var failure: StoreError?
        try await forEachConcurrently(
            unknown, limit: concurrency,
            { key -> (String, Result<Int64?, StoreError>) in
                do {
                    return (key, .success(try await store.head(key).size))
                } catch let error as StoreError where error.kind == .notFound {
                    return (key, .success(nil))
                } catch let error as StoreError {
                    return (key, .failure(error))
                }
            },
            collect: { key, result in
                switch result {
                case .success(let size?): listed.setSize(size, of: key)
                case .success(nil): gone.insert(key)
                case .failure(let error): failure = failure ?? error
                }
            })
        if let failure { throw InspectionError.store(failure) }
        return gone.isEmpty ? keys : keys.filter { !gone.contains($0) }
    }

    /// Marks each key `manifest` names in the listing, and returns how each object stood: listed and
    /// named for the first time, named before, or unlisted.
    private static func markNamed(
        by manifest: RunManifest, in listing: inout ListedObjects
    ) -> ([ManifestFigures.Naming], ListedPlaces) {
        let marked = listing.markNamed(manifest.objects.map(\.key))
        for position in manifest.objects.indices where !manifest.objects[position].companionKeys.isEmpty {
            for companion in manifest.objects[position].companionKeys { _ = listing.markNamed(companion) }
        }
        return (marked.map(\.naming), ListedPlaces(indices: marked.map { $0.index.map(Int32.init) ?? -1 }))
    }

    /// An empty key ending in "/": a folder the S3 console (or another tool) made in the bucket, not
    /// an object. ktape writes no such key, and a directory store lists none.
    static func isFolderMarker(_ key: String, size: Int64?) -> Bool { key.hasSuffix("/") && (size ?? 0) == 0 }

    /// The listed keys no manifest names (other than keys outside ktape's layout, which are strays), sorted.
    private static func unnamed(in listing: ListedObjects, rejected: [ObjectKeyError]) -> [String] {
        let strays = Set(rejected.map(\.key))
        return listing.unnamedKeys().filter { !strays.contains($0) }.sorted()
    }

    /// True when at least one manifest exists (readable or not): the store is ktape's, and its
    /// manifests, not the listing, say what it holds. Placeholders of killed runs do not count: a
    /// store holding nothing else has no finished run.
    public var hasManifests: Bool { runs.contains { !$0.manifest.isPlaceholder } || !unreadableManifests.isEmpty }
}

/// Where each object of a manifest is listed, in the manifest's order: looked up once, when the
/// manifest arrives, for every check that reads the object's listing.
public struct ListedPlaces: Sendable {
    /// Indexes into the listing, or -1 for an object it lacks.
    var indices: [Int32] = []

    /// The listing index of the manifest's object at `position`, or nil when it is not listed.
    subscript(position: Int) -> Int? {
        indices[position] < 0 ? nil : Int(indices[position])
    }
}
