import Foundation
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
    /// Size of every key listed under the topics dir.
    public let sizes: [String: Int64]
    /// ETag of every key listed under the topics dir, when asked for (`keepETags`); else empty.
    public let etags: [String: String]
    /// The listing of the topics dir: keys outside ktape's layout (`rejected`), and for a store without
    /// manifests, whose listing is all it knows, the keys sorted into partitions and companions.
    public let index: ObjectKeyIndex
    /// Readable manifests, in run order.
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
    /// What `ls` reports of the manifests, folded in as they were read.
    public let figures: ManifestFigures
    public static let elsewhereLimit = 1000

    /// Lists the topics dir and the runs folder and reads every manifest (`concurrency` at a time).
    /// With `keepObjects` false (ls) each manifest is folded into `figures` and its objects and
    /// partition records let go: `runs` then hold the rest of each manifest only.
    /// Throws `InspectionError.store` when the store cannot be listed or a manifest fetched.
    public static func load(
        store: any ObjectStore, layout: StoreLayout, concurrency: Int = 8,
        keepETags: Bool = false, keepObjects: Bool = true
    ) async throws -> StoreContents {
        // The listing is kept as sizes and keys only, page by page: ETags and times of a million
        // objects would stay in memory beside every manifest (ETags only for a stored-checksum check).
        var sizes: [String: Int64] = [:]
        var etags: [String: String] = [:]
        var dataKeys: [String] = []
        let metadata: [ObjectSummary]
        do {
            for try await object in store.objects(prefix: layout.topicsFolder) where sizes[object.key] == nil {
                sizes[object.key] = object.size
                if keepETags { etags[object.key] = object.etag }
                dataKeys.append(object.key)
            }
            metadata = try await store.listAll(prefix: layout.runsFolder)
        } catch let error as StoreError {
            throw InspectionError.store(error)
        }
        var strays: [String] = []
        var manifestKeys: [String] = []
        for object in metadata {
            if layout.runID(fromKey: object.key) != nil { manifestKeys.append(object.key) } else { strays.append(object.key) }
        }
        let index = ObjectKeyIndex(keys: dataKeys, layout: layout, rejectedOnly: !manifestKeys.isEmpty)
        let noData = dataKeys.isEmpty
        dataKeys = []

        /// Holds a fetched run alone, so that sharing its keys changes its objects in place, not a copy.
        final class Fetched: Sendable {
            // Written once by the fetching task, then read and changed by `collect` alone.
            nonisolated(unsafe) var run: Run
            init(_ run: Run) { self.run = run }
        }
        enum Outcome: Sendable {
            case run(Fetched)
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
        try await forEachConcurrently(
            manifestKeys, limit: concurrency,
            { key -> Outcome in
                do {
                    let bytes = try await store.get(key)
                    return .run(Fetched(Run(key: key, manifest: try RunManifest.decode(Data(bytes), name: key, layout: layout))))
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
                case .run(let fetched):
                    let naming = Self.markNamed(by: &fetched.run.manifest, in: &sizes)
                    figures.add(fetched.run.manifest, key: fetched.run.key, naming: naming, firstOffsets: firstOffsets)
                    if !keepObjects {
                        fetched.run.manifest.objects = []
                        fetched.run.manifest.partitions = []
                    }
                    runs.append(fetched.run)
                case .unreadable(let error): unreadable.append(error)
                case .failed(let error): failure = failure ?? error
                }
            })
        if let failure { throw InspectionError.store(failure) }
        let orphans = manifestKeys.isEmpty ? [] : Self.unmarkNamed(in: &sizes, rejected: index.rejected)

        var elsewhere: [ObjectSummary] = []
        if noData && metadata.isEmpty {
            do {
                let root = layout.prefix.isEmpty ? "" : layout.prefix + "/"
                elsewhere = try await store.list(prefix: root, delimiter: nil, continuationToken: nil, maxKeys: elsewhereLimit).objects
            } catch let error as StoreError {
                throw InspectionError.store(error)
            }
        }
        var contents = StoreContents(
            location: store.location, layout: layout,
            sizes: sizes, etags: etags, index: index,
            runs: runs.sorted { ($0.manifest.runId, $0.key) < ($1.manifest.runId, $1.key) },
            unreadableManifests: unreadable.sorted { $0.manifest < $1.manifest },
            strayRunKeys: strays.sorted(), pruned: pruned, orphanKeys: orphans, figures: figures)
        contents.elsewhere = elsewhere
        return contents
    }

    /// Points each named key at the listing's copy of the same text, so that a million keys are held
    /// once, not twice (about 80 bytes each), and marks its listing entry as named: its size stored
    /// as `~size`, negative, as sizes never are. This finds orphans without a set of a million keys.
    /// Returns how each object stood: listed and named for the first time, named before, or unlisted.
    private static func markNamed(by manifest: inout RunManifest, in listing: inout [String: Int64]) -> [ManifestFigures.Naming] {
        func mark(_ key: inout String) -> ManifestFigures.Naming {
            guard let found = listing.index(forKey: key) else { return .unlisted }
            key = listing.keys[found]
            guard listing.values[found] >= 0 else { return .again }
            listing.values[found] = ~listing.values[found]
            return .first
        }
        var naming: [ManifestFigures.Naming] = []
        naming.reserveCapacity(manifest.objects.count)
        for index in manifest.objects.indices {
            naming.append(mark(&manifest.objects[index].key))
            for companion in manifest.objects[index].companionKeys.indices {
                _ = mark(&manifest.objects[index].companionKeys[companion])
            }
        }
        return naming
    }

    /// Restores the sizes `markNamed` marked; returns the listed keys no manifest names (other than
    /// keys outside ktape's layout, which are strays), sorted.
    private static func unmarkNamed(in listing: inout [String: Int64], rejected: [ObjectKeyError]) -> [String] {
        let strays = Set(rejected.map(\.key))
        var orphans: [String] = []
        var position = listing.values.startIndex
        while position != listing.values.endIndex {
            let size = listing.values[position]
            if size < 0 {
                listing.values[position] = ~size
            } else {
                let key = listing.keys[position]
                if !strays.contains(key) { orphans.append(key) }
            }
            listing.values.formIndex(after: &position)
        }
        return orphans.sorted()
    }

    /// The manifests in run order.
    public var manifests: [RunManifest] { runs.map(\.manifest) }

    /// True when `object` lies below its partition's first offset: pruned on purpose.
    public func isPruned(_ object: ManifestObject) -> Bool {
        object.spanEnd <= pruned.firstOffset(topic: object.topic, partition: object.partition)
    }

    /// True when at least one manifest exists (readable or not): the store is ktape's, and its
    /// manifests, not the listing, say what it holds.
    public var hasManifests: Bool { !runs.isEmpty || !unreadableManifests.isEmpty }

    /// Every key some manifest names: data objects and their companions.
    public var namedKeys: Set<String> {
        var keys = Set<String>(minimumCapacity: runs.reduce(0) { $0 + $1.manifest.objects.count })
        for run in runs {
            for object in run.manifest.objects {
                keys.insert(object.key)
                keys.formUnion(object.companionKeys)
            }
        }
        return keys
    }

}
