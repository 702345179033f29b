import Checksums
import Failures
import Foundation
import Layout
import ObjectStore
import StoreMetadata

/// One data object to restore, with what the store says about it.
struct SourceObject: Sendable {
    var name: ObjectKey
    /// Where `key` comes from, where a listed object of another partitioner's layout sits, and its
    /// companions: one reference, shared by the objects of a catalog whose key is the canonical one
    /// of ktape's layout and who have no companions (so a million objects carry 8 bytes for all
    /// three, and no key: about 100 bytes each); an object of its own otherwise.
    private let extras: Extras
    /// From the manifest; nil for a listed store (then the listing's size is in `listedBytes`).
    var manifest: RecordedObject?
    var listedBytes: Int64

    init(
        key: String, listed: ListedObjectKey, keysCompanion: String? = nil, headersCompanion: String? = nil,
        manifest: RecordedObject?, listedBytes: Int64
    ) {
        name = listed.object
        extras = Extras(
            key: .stored(key), place: listed == ListedObjectKey(defaultLayout: listed.object) ? nil : listed,
            keys: keysCompanion, headers: headersCompanion)
        self.manifest = manifest
        self.listedBytes = listedBytes
    }

    /// An object in ktape's own layout (as manifests name them). `derivedBy` (shared by the objects of
    /// a catalog) is for a key its layout spells exactly so for `name`: the key is then not kept, unless
    /// the object has companions.
    init(
        key: String, name: ObjectKey, derivedBy: Extras?, keysCompanion: String? = nil, headersCompanion: String? = nil,
        companionsRecorded: (keys: ObjectLineReader.Recorded?, headers: ObjectLineReader.Recorded?) = (nil, nil),
        manifest: RecordedObject?, listedBytes: Int64
    ) {
        if let derivedBy, keysCompanion == nil, headersCompanion == nil, case .derived = derivedBy.key {
            extras = derivedBy
        } else {
            extras = Extras(
                key: .stored(key), place: nil, keys: keysCompanion, headers: headersCompanion, keysRecorded: companionsRecorded.keys,
                headersRecorded: companionsRecorded.headers)
        }
        self.name = name
        self.manifest = manifest
        self.listedBytes = listedBytes
    }

    /// The file name as stored (what `topic.regex.list` matches) and the partitioner's folders above it.
    var fileName: String { extras.place?.fileName ?? name.fileName }
    var folder: String { (extras.place ?? ListedObjectKey(defaultLayout: name)).folder }

    var key: String {
        switch extras.key {
        case .derived(let layout): layout.key(for: name)
        case .stored(let key): key
        }
    }

    /// True when `key` is derived from `name` (then `name` finds the object in a listing).
    var hasDerivedKey: Bool {
        if case .derived = extras.key { return true }
        return false
    }

    /// What few objects have beside their name; see `extras`.
    final class Extras: Sendable {
        enum Key {
            case derived(StoreLayout)
            case stored(String)
        }
        let key: Key
        /// Where a listed object of another partitioner's layout sits; nil in ktape's own layout,
        /// whose folder and file name follow from the name.
        let place: ListedObjectKey?
        /// `.keys.json` / `.headers.json` companions beside a `.json` object.
        let keys: String?
        let headers: String?
        /// The companions' sizes and checksums as the manifest recorded them, if it did.
        let keysRecorded: ObjectLineReader.Recorded?
        let headersRecorded: ObjectLineReader.Recorded?

        init(
            key: Key, place: ListedObjectKey? = nil, keys: String? = nil, headers: String? = nil,
            keysRecorded: ObjectLineReader.Recorded? = nil, headersRecorded: ObjectLineReader.Recorded? = nil
        ) {
            self.key = key
            self.place = place
            self.keys = keys
            self.headers = headers
            self.keysRecorded = keysRecorded
            self.headersRecorded = headersRecorded
        }

        /// The extras a catalog's objects share: keys derived through `layout`, nothing else.
        static func derived(_ layout: StoreLayout) -> Extras { Extras(key: .derived(layout)) }
    }

    var keysCompanion: String? { extras.keys }
    var headersCompanion: String? { extras.headers }
    var keysCompanionRecorded: ObjectLineReader.Recorded? { extras.keysRecorded }
    var headersCompanionRecorded: ObjectLineReader.Recorded? { extras.headersRecorded }

    /// The manifest's size where there is one (`listedBytes` holds it too).
    var bytes: Int64 { listedBytes }
    var records: Int64? { manifest?.recordCount }
    var isGzip: Bool { name.kind.compression == .gzip }
    var isEnvelope: Bool { name.kind.content == .envelope }

    /// What a companion is checked against as it is read: its size and CRC64NVME from the manifest.
    static func recorded(_ companion: String?, of object: ManifestObject) -> ObjectLineReader.Recorded? {
        guard let companion, let recorded = object.companionChecksum(of: companion) else { return nil }
        let checksum = RunManifest.eightBytes(canonicalBase64: recorded.crc64nvme).map { StoredChecksum.crc64nvme(CRC64NVME(value: $0)) }
        return ObjectLineReader.Recorded(size: recorded.byteSize, checksum: checksum ?? .unreadable)
    }

    /// The companion of `content` among `keys`, told by the file extension.
    static func companion(_ content: ObjectContent, in keys: [String]) -> String? {
        keys.first { key in
            StoreCompression.allCases.contains { key.hasSuffix("." + ObjectFileKind(content, $0).fileExtension) }
        }
    }
}

/// What restore uses of a manifest's entry for an object: its offsets, counts, record times and
/// checksum. Not its key or topic (held beside it), as a catalog holds one per object of the store.
struct RecordedObject: Sendable, Equatable {
    var firstOffset: Int64
    var lastOffset: Int64
    var spanStart: Int64
    var spanEnd: Int64
    var recordCount: Int64
    /// The record times and checksum, meaningful where `present` says (three optionals took 24
    /// bytes more).
    private var oldest: Int64
    private var newest: Int64
    private var checksum: UInt64
    private var present: UInt8

    init(_ object: ManifestObject) {
        firstOffset = object.firstOffset
        lastOffset = object.lastOffset
        spanStart = object.spanStart
        spanEnd = object.spanEnd
        recordCount = object.recordCount
        oldest = object.minTimestamp ?? 0
        newest = object.maxTimestamp ?? 0
        present = (object.minTimestamp == nil ? 0 : 1) | (object.maxTimestamp == nil ? 0 : 2)
        checksum = 0
        // Read by hand, not through Data: a catalog reads one per object of the store.
        if let text = object.crc64nvme {
            if let crc = RunManifest.eightBytes(canonicalBase64: text) {
                checksum = crc
                present |= 4
            } else {
                present |= 16
            }
        } else if let text = object.sha256 {
            if let prefix = Self.sha256Prefix(text) {
                checksum = prefix
                present |= 8
            } else {
                present |= 16
            }
        }
    }

    var minTimestamp: Int64? { present & 1 != 0 ? oldest : nil }
    var maxTimestamp: Int64? { present & 2 != 0 ? newest : nil }

    /// What the object's stored bytes are checked against as a restore reads them: the manifest's
    /// CRC64NVME (version 3), else the first 8 bytes of its SHA-256 (versions 1 and 2; 64 bits
    /// catch accidental damage as surely, and keep the entry as small).
    var checksumToCheck: StoredChecksum? {
        if present & 4 != 0 { return .crc64nvme(CRC64NVME(value: checksum)) }
        if present & 8 != 0 { return .sha256Prefix(checksum) }
        if present & 16 != 0 { return .unreadable }
        return nil
    }

    /// A checksum ktape writes (not one a manifest changed after the backup names).
    var hasReadableChecksum: Bool {
        switch checksumToCheck {
        case .crc64nvme?, .sha256Prefix?: return true
        default: return false
        }
    }

    /// The first 16 hex digits of a SHA-256 as written (64 lowercase hex digits), as a number; nil for other text.
    static func sha256Prefix(_ hex: String) -> UInt64? {
        guard RunManifest.isSHA256Hex(hex) else { return nil }
        return UInt64(hex.prefix(16), radix: 16)
    }
}

/// A checksum of an object's stored bytes, as its manifest recorded it.
enum StoredChecksum: Sendable, Equatable {
    case crc64nvme(CRC64NVME)
    /// The first 8 bytes of its SHA-256, big-endian.
    case sha256Prefix(UInt64)
    /// The manifest records one that is not spelled as ktape writes it: changed after the backup.
    case unreadable
}

/// A run's manifest with its objects in catalog form, the manifest itself keeping none, so that no
/// object is held both as a manifest entry and as a catalog object.
struct CatalogRun: Sendable {
    /// An object whose key is not a data object's name: a problem, unless pruned.
    struct Unparsed: Sendable {
        var partition: TopicPartition
        var key: String
        var recorded: RecordedObject
        var error: String
    }

    var manifest: RunManifest
    var objects: [SourceObject] = []
    var unparsed: [Unparsed] = []
    /// Offsets retention deleted before the run read them, kept when its partition records go.
    var retentionGaps: [(TopicPartition, OffsetGap)] = []

    init(_ manifest: RunManifest, layout: StoreLayout) {
        self.manifest = manifest
        self.manifest.objects = []
        objects.reserveCapacity(manifest.objects.count)
        let derived = SourceObject.Extras.derived(layout)
        for object in manifest.objects {
            do {
                let canonical = layout.canonicalObjectKey(object.key)
                let name = try canonical ?? layout.objectKey(parsing: object.key)
                // Grouped by the name from here on: one that disagrees with its entry is not trusted.
                guard name.topic == object.topic, name.partition == object.partition else {
                    throw CatalogMismatch(key: object.key, named: TopicPartition(name.topic, name.partition))
                }
                let keysCompanion = SourceObject.companion(.keys, in: object.companionKeys)
                let headersCompanion = SourceObject.companion(.headers, in: object.companionKeys)
                objects.append(
                    SourceObject(
                        key: object.key, name: name,
                        derivedBy: canonical != nil || layout.key(for: name) == object.key ? derived : nil,
                        keysCompanion: keysCompanion, headersCompanion: headersCompanion,
                        companionsRecorded: (
                            SourceObject.recorded(keysCompanion, of: object), SourceObject.recorded(headersCompanion, of: object)
                        ),
                        manifest: RecordedObject(object), listedBytes: object.byteSize))
            } catch {
                unparsed.append(
                    Unparsed(
                        partition: TopicPartition(object.topic, object.partition), key: object.key,
                        recorded: RecordedObject(object), error: "\(error)"))
            }
        }
    }
}

/// A manifest entry whose key names another partition than the entry does.
private struct CatalogMismatch: Error, CustomStringConvertible {
    var key: String
    var named: TopicPartition
    var description: String { "\(key), a data object of \(named), under another partition" }
}

/// What the continuity check reads of a catalog's object; its key is spelled only if a problem
/// quotes it.
private struct CoveredObject: ObjectOffsets {
    /// The catalog's object, or nil for an unparsed one (whose key is `text`).
    var object: SourceObject?
    var text = ""
    var recorded: RecordedObject
    var key: String { object?.key ?? text }
    var firstOffset: Int64 { recorded.firstOffset }
    var lastOffset: Int64 { recorded.lastOffset }
    var spanStart: Int64 { recorded.spanStart }
    var spanEnd: Int64 { recorded.spanEnd }
    var recordCount: Int64 { recorded.recordCount }
}

/// A reason the store's manifests cannot be trusted for a topic (a hole, an overlap, a bad name).
struct CatalogProblem: Sendable {
    /// The topic it stops; nil for one that stops every topic (a gap in the run chain).
    var topic: String?
    var text: String
    /// False for one that says all itself (not a hole or overlap that verify lists).
    var isContinuity = true
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
    /// Per pruned partition, the last record offset of the objects prune removed: a restore that
    /// had not got that far cannot resume.
    var prunedThrough: [TopicPartition: Int64] = [:]
    /// Per pruned partition, the oldest and newest record times (epoch ms) of the objects prune
    /// removed, where their manifests recorded times: a time range reaching them is told so.
    var prunedTimes: [TopicPartition: ClosedRange<Int64>] = [:]
    /// Partitions the runs recorded, found empty or not; empty for a listed store.
    var covered: Set<TopicPartition> = []

    var hasManifests: Bool { !runs.isEmpty }

    /// Partition count of a source topic: the newest run's, or one past the highest partition the
    /// store holds when that is more (a topic made again with fewer partitions, which Kafka cannot do
    /// to a topic otherwise, by a ktape that did not stop the backup then).
    func partitionCount(of topic: String) -> Int32 {
        let found = partitions.keys.filter { $0.topic == topic }.map(\.partition).max() ?? -1
        return max(topics[topic]?.partitionCount ?? 0, found + 1)
    }

    /// `topics`: the topics a restore selects (nil: all); only their folders' keys must parse in a
    /// store without manifests.
    static func load(store: any ObjectStore, layout: StoreLayout, asOf: RunID?, topics: Set<String>? = nil) async throws
        -> SourceCatalog
    {
        let manifestKeys = try await listManifestKeys(store: store, layout: layout)
        if manifestKeys.isEmpty {
            if let asOf { throw RunFailure.invalidInput("--as-of \(asOf): the store has no manifests (no backup runs)") }
            // An index naming runs proves backups finished here: their manifests were lost (or left
            // out of a copy), and a listing's restore would take their objects unchecked.
            let lost = try await indexedRunsWithoutManifests(present: [], namedByTheChain: [], asOf: nil, store: store, layout: layout)
            if let first = lost.first {
                let more = lost.count > 1 ? " (and \(lost.count - 1) more runs it names)" : ""
                throw RunFailure.invalidInput(
                    "\(first.text)\(more); no run manifest is under \(layout.runsFolder), so nothing can be restored with its checks (to restore the objects there as listed, unchecked, as a sink's, move \(layout.indexKey) aside)"
                )
            }
            let catalog = try await listed(store: store, layout: layout, topics: topics)
            // A first backup that ran and finished while the topics dir was listed may have been
            // listed half-way, with no lease left to say so: its manifest does.
            if let landed = try await listManifestKeys(store: store, layout: layout).first {
                throw RunFailure.failure(
                    "a backup finished while this restore listed the store (\(landed) was written meanwhile); run again to restore from its manifest"
                )
            }
            return catalog
        }
        // Eight a read, two reads in flight, as ls and verify read them: a year of hourly runs is
        // 8,760 GETs. Each manifest's objects join the catalog as it arrives, and its entries are let go.
        var builder = CatalogBuilder(asOf: asOf)
        try await forEachObjectConcurrently(
            manifestKeys, in: store, perGroup: 8,
            { key, body in
                do {
                    let manifest = try RunManifest.decode(try body.get(), name: key, layout: layout)
                    // Its objects are not under this layout's topics dir: none would be found, so
                    // none restored, while the run says they were stored.
                    if let mismatch = manifest.topicsDirMismatch(layout) {
                        throw RunFailure.invalidInput("run \(manifest.runId) \(mismatch)")
                    }
                    return CatalogRun(manifest, layout: layout)
                } catch let error as ManifestError {
                    throw RunFailure.invalidInput(error.description)
                } catch {
                    throw RunFailure.wrap(error, "manifest \(key)")
                }
            }, collect: { builder.add($0) })
        if let asOf, !builder.runs.contains(where: { $0.manifest.runId == asOf }) {
            // A year of runs is thousands of ids: name the ones around it (ids sort by time).
            let ids = builder.runs.map(\.manifest.runId).sorted()
            let before = ids.last { $0 < asOf }.map { "\($0) before it" }
            let after = ids.first { $0 > asOf }.map { "\($0) after it" }
            let nearest = [before, after].compactMap { $0 }.joined(separator: ", ")
            throw RunFailure.invalidInput(
                "--as-of \(asOf): no backup run has that id; of the store's \(ids.count) runs the nearest are \(nearest) (ktape ls lists them all)"
            )
        }
        if !builder.runs.isEmpty, builder.runs.allSatisfy(\.manifest.isPlaceholder) {
            // The killed first run's rerun may be writing now: then a rerun of this restore is cured.
            try await UnfinishedFirstBackup.read(store: store, layout: layout).refuseWhileWriting(topics: topics)
            throw RunFailure.invalidInput(
                "\(store.location) holds no finished backup: its only manifests are placeholders of runs that were killed (\(builder.runs.map(\.manifest.runId.rawValue).joined(separator: ", "))); run a backup first"
            )
        }
        let pruned: PrunedState
        do {
            pruned = try await PrunedStateKeeper.read(store: store, layout: layout)
        } catch let error as ManifestError {
            throw RunFailure.invalidInput(error.description)
        } catch {
            throw RunFailure.wrap(error, "read \(layout.prunedKey)")
        }
        let present = Set(builder.runs.map(\.manifest.runId))
        let chained = Set(builder.runs.filter { run in asOf.map { run.manifest.runId <= $0 } ?? true }.compactMap(\.manifest.previousRunId))
        var catalog = builder.build(pruned: pruned)
        // Only a warning: a lock that cannot be read is no reason to stop a restore from manifests.
        if asOf == nil, let lock = try? await UnfinishedFirstBackup.read(store: store, layout: layout) {
            catalog.warnings += lock.firstBackupsUnderWay(topics: topics, covered: catalog.covered)
        }
        catalog.problems += try await indexedRunsWithoutManifests(
            present: present, namedByTheChain: chained, asOf: asOf, store: store, layout: layout)
        return catalog
    }

    /// A run folds its manifest into the store index only once the manifest is written, so a run the
    /// index names without a manifest lost it (or a copy left it out): what it stored is named by no
    /// manifest, and a restore without it would silently lack those records. The run chain names
    /// the missing runs a later run follows; the newest ones only the index does.
    private static func listManifestKeys(store: any ObjectStore, layout: StoreLayout) async throws -> [String] {
        do {
            return try await store.listAll(prefix: layout.runsFolder).map(\.key).filter { layout.runID(fromKey: $0) != nil }
        } catch {
            throw RunFailure.wrap(error, "cannot list manifests under \(layout.runsFolder)")
        }
    }

    private static func indexedRunsWithoutManifests(
        present: Set<RunID>, namedByTheChain: Set<RunID>, asOf: RunID?, store: any ObjectStore, layout: StoreLayout
    ) async throws -> [CatalogProblem] {
        let index: StoreIndex
        do {
            guard let read = try await IndexKeeper.read(store: store, layout: layout)?.index else { return [] }
            index = read
        } catch is ManifestError {
            return []  // an index that does not read says nothing; backups stop on it until it is removed
        } catch {
            throw RunFailure.wrap(error, "read the store index \(layout.indexKey)")
        }
        if !present.isEmpty, !index.runs.isEmpty, !index.runs.contains(where: present.contains) {
            return [CatalogProblem(topic: nil, text: IndexOfAnotherStore.message(index: layout.indexKey, manifests: present.count))]
        }
        let missing = index.runs.filter { run in
            !present.contains(run) && !namedByTheChain.contains(run) && (asOf.map { run <= $0 } ?? true)
        }
        let landed: Set<RunID>
        do {
            landed = try await IndexKeeper.landedSinceListing(missing, store: store, layout: layout)
        } catch {
            throw RunFailure.wrap(error, "look for run manifests under \(layout.runsFolder)")
        }
        // One that landed since is a run newer than this restore's view of the store, not a loss.
        return missing.filter { !landed.contains($0) }.map { run in
            CatalogProblem(
                topic: nil,
                text:
                    "the store index \(layout.indexKey) names run \(run)\(run == index.lastRunId ? " (its newest run)" : ""), whose manifest \(layout.runManifestKey(run)) is missing: lost, or left out of a copy taken as the run finished; the records it stored cannot be restored (restore from a complete copy)"
            )
        }
    }
}

/// Gathers runs into a catalog as their manifests arrive, in any order: each run's objects join
/// their partitions at once, so no run's objects wait beside the catalog's.
struct CatalogBuilder {
    /// Runs after it keep their manifest (for the run list) but add no objects.
    let asOf: RunID?
    private var partitions: [TopicPartition: [SourceObject]] = [:]
    /// The runs added, without their objects and partition records.
    private(set) var runs: [CatalogRun] = []
    /// The runs' records of each partition, folded in as they arrive; their arrival indexes `runs`.
    private var records = ArrivedRecords()
    /// Per group, topic and partition, the newest run's saved offset (or removal) so far. Kept with each run they
    /// grew with the runs where every run saved every offset (ktape before `SavedFacts`; 11 MiB a
    /// run at 100,000). The value holds no copy of the key's names, and the run by its index in
    /// `runs`: at 400,000 offsets that halved the entries.
    private var groups: [ManifestGroupPartition: SavedOffset] = [:]
    /// Per partition, the end the runs after `asOf` covered: a prune record past the as-of runs' end
    /// but not past theirs is a prune of what those runs knew, not damage.
    private var laterEnds: [TopicPartition: Int64] = [:]
    /// Which cluster the runs up to `asOf` read each topic's offsets from.
    private var clusters = SourceClusters()

    init(asOf: RunID?) { self.asOf = asOf }

    mutating func add(_ added: CatalogRun) {
        var run = added
        if asOf.map({ run.manifest.runId <= $0 }) ?? true {
            for object in run.objects { partitions[TopicPartition(object.name.topic, object.name.partition), default: []].append(object) }
            records.add(run.manifest.partitions, arrival: Int32(runs.count))
            clusters.add(run.manifest)
            run.retentionGaps = run.manifest.retentionGaps
            let id = run.manifest.runId
            let arrival = Int32(runs.count)
            func fold(_ key: ManifestGroupPartition, _ saved: SavedOffset) {
                if let held = groups[key], runs[Int(held.arrival)].manifest.runId > id { return }
                groups[key] = saved
            }
            for offset in run.manifest.consumerGroupOffsets {
                fold(ManifestGroupPartition(offset), SavedOffset(arrival: arrival, offset: offset.offset, metadata: offset.metadata))
            }
            for removed in run.manifest.removedGroupOffsets ?? [] {
                fold(removed, SavedOffset(arrival: arrival, offset: SavedOffset.removed, metadata: nil))
            }
        } else {
            run.unparsed = []
            for p in run.manifest.partitions {
                laterEnds[TopicPartition(p.topic, p.partition)] = max(laterEnds[TopicPartition(p.topic, p.partition)] ?? .min, p.endOffset)
            }
        }
        run.objects = []
        run.manifest.partitions = []
        run.manifest.consumerGroupOffsets = []
        run.manifest.removedGroupOffsets = nil
        runs.append(run)
    }

    private struct SavedOffset {
        /// The offset of a removal: the run found the group's offset gone.
        static let removed = Int64.min

        var arrival: Int32
        var offset: Int64
        var metadata: String?
    }

    /// The catalog of the runs up to `asOf`, without what `pruned` says is gone. Takes the objects
    /// out of the builder (mutating, not consuming: a builder captured by a closure is boxed, and a
    /// consumed copy of it shared every array with the box, so each was copied when sorted).
    mutating func build(pruned: PrunedState) -> SourceCatalog {
        var partitions = self.partitions
        self.partitions = [:]
        let records = self.records
        self.records = ArrivedRecords()
        // Runs in run order, and each partition's records in that order, as the continuity check reads them.
        let arrivals = self.runs.indices.sorted { self.runs[$0].manifest.runId < self.runs[$1].manifest.runId }
        var runOrder = [Int](repeating: 0, count: arrivals.count)
        for (order, arrival) in arrivals.enumerated() { runOrder[arrival] = order }
        var runs = arrivals.map { self.runs[$0] }
        self.runs = []
        if let asOf { runs.removeAll { $0.manifest.runId > asOf } }
        let firstOffsets = pruned.firstOffsets
        var prunedThrough: [TopicPartition: Int64] = [:]
        var prunedTimes: [TopicPartition: ClosedRange<Int64>] = [:]
        // In place, through `values`: sorting through `partitions[tp]` while looping over its keys
        // kept a second reference to every array, so each was copied. Ties (an object named twice)
        // are ordered by key, since runs arrive in any order. The catalog stays for the whole
        // restore: arrays grown by doubling are cut to size.
        var position = partitions.values.startIndex
        while position != partitions.values.endIndex {
            let first = firstOffsets[partitions.keys[position]] ?? .min
            for object in partitions.values[position] {
                guard let recorded = object.manifest, recorded.spanEnd <= first, recorded.recordCount > 0 else { continue }
                let tp = partitions.keys[position]
                prunedThrough[tp] = max(prunedThrough[tp] ?? .min, recorded.lastOffset)
                if let oldest = recorded.minTimestamp, let newest = recorded.maxTimestamp {
                    prunedTimes[tp] =
                        min(prunedTimes[tp]?.lowerBound ?? oldest, oldest)...max(prunedTimes[tp]?.upperBound ?? newest, newest)
                }
            }
            partitions.values[position].removeAll { $0.manifest.map { $0.spanEnd <= first } ?? false }
            partitions.values[position].sort {
                $0.name.startOffset != $1.name.startOffset ? $0.name.startOffset < $1.name.startOffset : $0.key < $1.key
            }
            let objects = partitions.values[position]
            if objects.capacity > objects.count + objects.count / 8 {
                var fitted: [SourceObject] = []
                fitted.reserveCapacity(objects.count)
                fitted.append(contentsOf: objects)
                partitions.values[position] = fitted
            }
            partitions.values.formIndex(after: &position)
        }
        partitions = partitions.filter { !$0.value.isEmpty }
        var unparsed: [TopicPartition: [CatalogRun.Unparsed]] = [:]
        var problems: [CatalogProblem] = []
        // A run whose previous run's manifest is gone: what that run (and any before it) stored is
        // unaccounted for, in any topic. The oldest run names none.
        let runIds = Set(runs.map(\.manifest.runId))
        for run in runs {
            if let previous = run.manifest.previousRunId, !runIds.contains(previous) {
                problems.append(
                    CatalogProblem(
                        topic: nil,
                        text: "run \(run.manifest.runId) names previous run \(previous), whose manifest is missing"))
            }
        }
        problems += clusters.conflicts.map {
            CatalogProblem(topic: $0.topic, text: "topic \($0.topic): \($0.message)", isContinuity: false)
        }
        for run in runs {
            for object in run.unparsed where object.recorded.spanEnd > firstOffsets[object.partition] ?? .min {
                problems.append(CatalogProblem(topic: object.partition.topic, text: "manifest \(run.manifest.runId) names \(object.error)"))
                unparsed[object.partition, default: []].append(object)
            }
        }
        let manifests = runs.map(\.manifest)
        // As of an earlier run, a prune may have passed every offset that run covered (not what
        // later runs covered): the partition is pruned away as of it, not damaged.
        let checked =
            laterEnds.isEmpty
            ? records.partitions
            : records.partitions.filter { tp in
                guard let first = firstOffsets[tp], let end = records.records(of: tp, rank: runOrder).map(\.endOffset).max() else {
                    return true
                }
                return first <= end || first > laterEnds[tp] ?? .min
            }
        let continuity = PartitionCoverage.problems(
            partitions: checked, firstOffsets: firstOffsets, recordsOf: { records.records(of: $0, rank: runOrder) },
            objectsOf: { tp in
                (partitions[tp] ?? []).compactMap { object in object.manifest.map { CoveredObject(object: object, recorded: $0) } }
                    + (unparsed[tp] ?? []).map { CoveredObject(object: nil, text: $0.key, recorded: $0.recorded) }
            })
        // Sorted in place, with the dictionary let go first: two copies of 400,000 offsets, not three.
        var groups = self.groups.compactMap { key, saved in
            saved.offset == SavedOffset.removed
                ? nil
                : ManifestGroupOffset(
                    group: key.group, topic: key.topic, partition: key.partition, offset: saved.offset, metadata: saved.metadata)
        }
        self.groups = [:]
        groups.sort { ($0.group, $0.topic, $0.partition) < ($1.group, $1.topic, $1.partition) }
        let warnings = runs.flatMap { run in
            run.retentionGaps.filter { tp, gap in gap.end > firstOffsets[tp] ?? .min }.map { tp, gap in
                "\(tp) offsets \(gap.range) were deleted by retention before run \(run.manifest.runId) read them; they cannot be restored"
            }
        }
        return SourceCatalog(
            partitions: partitions,
            topics: Dictionary(manifests.latestTopics.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b }),
            groupOffsets: groups,
            runs: manifests.map(\.runId),
            problems: problems + continuity.map { CatalogProblem(topic: $0.topic, text: $0.description) },
            warnings: warnings, prunedThrough: prunedThrough, prunedTimes: prunedTimes, covered: Set(records.partitions))
    }
}

extension SourceCatalog {
    static func listed(store: any ObjectStore, layout: StoreLayout, topics: Set<String>? = nil) async throws -> SourceCatalog {
        let summaries: [ObjectSummary]
        do {
            summaries = try await store.listAll(prefix: layout.topicsFolder)
        } catch {
            throw RunFailure.wrap(error, "cannot list \(layout.topicsFolder) in \(store.location)")
        }
        let sizes = Dictionary(summaries.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        let firstBackup = try await UnfinishedFirstBackup.read(store: store, layout: layout)
        guard !summaries.isEmpty else {
            // A first backup that has uploaded nothing yet: what it writes is restored once it has finished.
            try firstBackup.refuseWhileWriting(topics: topics)
            throw RunFailure.invalidInput(
                "\(store.location) holds neither manifests (\(layout.runsFolder)) nor data objects (\(layout.topicsFolder)); check --store and --topics-dir"
            )
        }
        let index = ObjectKeyIndex(keys: summaries.map(\.key), layout: layout)
        // A key in the folder of a topic not restored (another connector's file) is not this restore's
        // business, unless its file name says it holds a restored topic's records.
        let rejected = index.rejected.filter { bad in topics.map { layout.mayHoldRecords(of: $0, key: bad.key) } ?? true }
        if let bad = rejected.first {
            let more = rejected.count > 1 ? "; \(rejected.count - 1) more such keys" : ""
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
        try firstBackup.refuseWhileWriting(topics: topics ?? Set(index.partitions.keys.map(\.topic)))
        var warnings: [String] = []
        // Confluent's sink never writes envelopes: these are a ktape backup's, whose manifest is not
        // there yet (a first run killed, or a copy made while one ran); so are objects beside its lease.
        if let envelope = summaries.first(where: { (try? layout.objectKey(parsing: $0.key))?.kind.content == .envelope }) {
            warnings.append(
                "\(envelope.key) and the like are ktape's own objects, but the store has no run manifest: a backup that has not finished (or a copy made while one ran), so they may hold only part of what it backs up; ktape verify tells"
            )
        } else if firstBackup.lockExists {
            let holder = firstBackup.leases.first.map { "holds the lease of the \($0.summary)" } ?? "exists"
            warnings.append(
                "\(layout.storeLockKey) \(holder), but the store has no run manifest: a ktape backup into it failed or was killed before finishing, and the objects it wrote, if these are they, may hold only part of what it backs up; ktape verify tells"
            )
        }
        if !index.orphanCompanions.isEmpty {
            warnings.append(
                "companion objects with no data object beside them are ignored: \(index.orphanCompanions.prefix(3).joined(separator: ", "))"
            )
        }
        return SourceCatalog(partitions: partitions, topics: [:], groupOffsets: [], runs: [], problems: [], warnings: warnings)
    }
}
