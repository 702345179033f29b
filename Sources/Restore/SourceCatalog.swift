import Failures
import Foundation
import Layout
import ObjectStore
import StoreMetadata

/// One data object to restore, with what the store says about it.
struct SourceObject: Sendable {
    var key: String
    var name: ObjectKey
    /// Where a listed object of another partitioner's layout sits; nil in ktape's own layout, whose
    /// folder and file name follow from `name` (not kept: a million objects' worth of Strings).
    private var place: Place?
    /// `.keys.json` / `.headers.json` companions beside a `.json` object.
    var keysCompanion: String?
    var headersCompanion: String?
    /// From the manifest; nil for a listed store (then the listing's size is in `listedBytes`).
    var manifest: ManifestObject?
    var listedBytes: Int64

    init(
        key: String, listed: ListedObjectKey, keysCompanion: String? = nil, headersCompanion: String? = nil,
        manifest: ManifestObject?, listedBytes: Int64
    ) {
        self.init(
            key: key, name: listed.object, keysCompanion: keysCompanion, headersCompanion: headersCompanion,
            manifest: manifest, listedBytes: listedBytes)
        if listed != ListedObjectKey(defaultLayout: listed.object) { place = Place(listed) }
    }

    /// An object in ktape's own layout (as manifests name them).
    init(
        key: String, name: ObjectKey, keysCompanion: String? = nil, headersCompanion: String? = nil,
        manifest: ManifestObject?, listedBytes: Int64
    ) {
        self.key = key
        self.name = name
        self.keysCompanion = keysCompanion
        self.headersCompanion = headersCompanion
        self.manifest = manifest
        self.listedBytes = listedBytes
    }

    /// The file name as stored (what `topic.regex.list` matches) and the partitioner's folders above it.
    var fileName: String { place?.listed.fileName ?? name.fileName }
    var folder: String { (place?.listed ?? ListedObjectKey(defaultLayout: name)).folder }

    /// A reference, so that the million objects in ktape's own layout carry 8 bytes for it, not 80.
    private final class Place: Sendable {
        let listed: ListedObjectKey
        init(_ listed: ListedObjectKey) { self.listed = listed }
    }

    var bytes: Int64 { manifest?.byteSize ?? listedBytes }
    var records: Int64? { manifest?.recordCount }
    var isGzip: Bool { name.kind.compression == .gzip }
    var isEnvelope: Bool { name.kind.content == .envelope }

    /// The companion of `content` among `keys`, told by the file extension.
    static func companion(_ content: ObjectContent, in keys: [String]) -> String? {
        keys.first { key in
            StoreCompression.allCases.contains { key.hasSuffix("." + ObjectFileKind(content, $0).fileExtension) }
        }
    }
}

/// A reason the store's manifests cannot be trusted for a topic (a hole, an overlap, a bad name).
struct CatalogProblem: Sendable {
    var topic: String
    var text: String
}

/// What the store holds: from its manifests (trusted where they exist), else from a listing
/// (a bucket Confluent's sink wrote).
struct SourceCatalog: Sendable {
    /// Objects per source partition, sorted by start offset.
    var partitions: [TopicPartition: [SourceObject]]
    /// Topics as the newest run saw them; empty for a listed store.
    var topics: [String: ManifestTopic]
    /// Saved group offsets, the newest run's value per (group, topic, partition).
    var groupOffsets: [ManifestGroupOffset]
    /// Runs used, in order; empty for a listed store.
    var runs: [RunID]
    /// Continuity problems (holes, overlaps) and warnings (retention gaps) from the manifests.
    var problems: [CatalogProblem]
    var warnings: [String]

    var hasManifests: Bool { !runs.isEmpty }

    /// Partition count of a source topic: the manifest's, else one past the highest partition found.
    func partitionCount(of topic: String) -> Int32 {
        if let known = topics[topic]?.partitionCount { return known }
        let found = partitions.keys.filter { $0.topic == topic }.map(\.partition).max() ?? -1
        return found + 1
    }

    static func load(store: any ObjectStore, layout: StoreLayout, asOf: RunID?) async throws -> SourceCatalog {
        let manifestKeys: [String]
        do {
            manifestKeys = try await store.listAll(prefix: layout.runsFolder).map(\.key).filter { layout.runID(fromKey: $0) != nil }
        } catch {
            throw RunFailure.wrap(error, "cannot list manifests under \(layout.runsFolder)")
        }
        if manifestKeys.isEmpty {
            if let asOf { throw RunFailure.invalidInput("--as-of \(asOf): the store has no manifests (no backup runs)") }
            return try await listed(store: store, layout: layout)
        }
        // Eight at a time, as ls and verify read them: a year of hourly runs is 8,760 GETs.
        var manifests: [RunManifest] = []
        try await forEachConcurrently(
            manifestKeys, limit: 8,
            { key in
                do {
                    return try RunManifest.decode(Data(try await store.get(key)), name: key, layout: layout)
                } catch let error as ManifestError {
                    throw RunFailure.invalidInput(error.description)
                } catch {
                    throw RunFailure.wrap(error, "manifest \(key)")
                }
            }, collect: { manifests.append($0) })
        if let asOf {
            guard let upTo = manifests.asOf(asOf) else {
                throw RunFailure.invalidInput(
                    "--as-of \(asOf): no backup run has that id (runs: \(manifests.sortedByRun().map(\.runId.rawValue).joined(separator: ", ")))"
                )
            }
            manifests = upTo
        }
        let pruned: PrunedState
        do {
            pruned = try await PrunedStateKeeper.read(store: store, layout: layout)
        } catch let error as ManifestError {
            throw RunFailure.invalidInput(error.description)
        } catch {
            throw RunFailure.wrap(error, "read \(layout.prunedKey)")
        }
        return fromManifests(manifests.sortedByRun(), layout: layout, pruned: pruned)
    }

    /// Objects below a pruned partition's first offset are gone on purpose and left out.
    static func fromManifests(_ manifests: [RunManifest], layout: StoreLayout, pruned: PrunedState = PrunedState()) -> SourceCatalog {
        var partitions: [TopicPartition: [SourceObject]] = [:]
        var problems: [CatalogProblem] = []
        let firstOffsets = pruned.firstOffsets
        for manifest in manifests {
            for object in manifest.objects {
                let tp = TopicPartition(object.topic, object.partition)
                if object.spanEnd <= firstOffsets[tp] ?? .min { continue }
                do {
                    let name = try layout.objectKey(parsing: object.key)
                    let keys = SourceObject.companion(.keys, in: object.companionKeys)
                    let headers = SourceObject.companion(.headers, in: object.companionKeys)
                    partitions[tp, default: []].append(
                        SourceObject(
                            key: object.key, name: name, keysCompanion: keys,
                            headersCompanion: headers, manifest: object,
                            listedBytes: object.byteSize))
                } catch {
                    problems.append(CatalogProblem(topic: object.topic, text: "manifest \(manifest.runId) names \(error)"))
                }
            }
        }
        for tp in partitions.keys { partitions[tp]?.sort { $0.name.startOffset < $1.name.startOffset } }
        var groups: [String: ManifestGroupOffset] = [:]
        for manifest in manifests {
            for offset in manifest.consumerGroupOffsets {
                groups["\(offset.group)\u{0}\(offset.topic)\u{0}\(offset.partition)"] = offset
            }
        }
        let warnings = manifests.flatMap { m in
            m.retentionGaps.filter { tp, gap in gap.end > firstOffsets[tp] ?? .min }.map { tp, gap in
                "\(tp) offsets \(gap.range) were deleted by retention before run \(m.runId) read them; they cannot be restored"
            }
        }
        return SourceCatalog(
            partitions: partitions,
            topics: Dictionary(manifests.latestTopics.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b }),
            groupOffsets: groups.values.sorted { ($0.group, $0.topic, $0.partition) < ($1.group, $1.topic, $1.partition) },
            runs: manifests.map(\.runId),
            problems: problems
                + manifests.continuityProblems(firstOffsets: firstOffsets)
                .map { CatalogProblem(topic: $0.topic, text: $0.description) },
            warnings: warnings)
    }

    static func listed(store: any ObjectStore, layout: StoreLayout) async throws -> SourceCatalog {
        let summaries: [ObjectSummary]
        do {
            summaries = try await store.listAll(prefix: layout.topicsFolder)
        } catch {
            throw RunFailure.wrap(error, "cannot list \(layout.topicsFolder) in \(store.location)")
        }
        let sizes = Dictionary(summaries.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        guard !summaries.isEmpty else {
            throw RunFailure.invalidInput(
                "\(store.location) holds neither manifests (\(layout.runsFolder)) nor data objects (\(layout.topicsFolder)); check --store and --topics-dir"
            )
        }
        let index = ObjectKeyIndex(keys: summaries.map(\.key), layout: layout)
        if let bad = index.rejected.first {
            let more = index.rejected.count > 1 ? "; \(index.rejected.count - 1) more such keys" : ""
            throw RunFailure.invalidInput(
                "\(bad.description) (no manifest exists, so every object under \(layout.topicsFolder) must be a data object named <topic>+<partition>+<offset>.<ext>\(more))"
            )
        }
        var partitions: [TopicPartition: [SourceObject]] = [:]
        for (tp, entries) in index.partitions {
            partitions[tp] = entries.map { entry in
                SourceObject(
                    key: entry.key, listed: entry.listed,
                    keysCompanion: SourceObject.companion(.keys, in: entry.companionKeys),
                    headersCompanion: SourceObject.companion(.headers, in: entry.companionKeys),
                    manifest: nil, listedBytes: sizes[entry.key] ?? 0)
            }
        }
        var warnings: [String] = []
        if !index.orphanCompanions.isEmpty {
            warnings.append(
                "companion objects with no data object beside them are ignored: \(index.orphanCompanions.prefix(3).joined(separator: ", "))"
            )
        }
        return SourceCatalog(partitions: partitions, topics: [:], groupOffsets: [], runs: [], problems: [], warnings: warnings)
    }
}
