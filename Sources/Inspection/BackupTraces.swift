import Foundation
import Layout
import ObjectStore
import StoreMetadata

/// What, besides its manifests, says that ktape backed up into a store. A run writes its manifest
/// last, so a store (or a copy of one) whose first backup has not finished holds ktape's objects and
/// metadata but no manifest, and must not pass for a Confluent sink's bucket. A run folds its
/// manifest into the index only once the manifest is written, so every run the index names has one.
struct BackupTraces: Sendable {
    /// `_ktape/index.json`, when the store has one that reads.
    var index: StoreIndex?
    /// Why the index could not be read (format, version, JSON).
    var unreadableIndex: ManifestError?
    /// Runs the index names whose manifests the listing lacked but that are there now: backups that
    /// finished while verify read the store.
    var landedSinceListing: Set<RunID> = []
    /// Keys under `_ktape/` that backups and prunes write (`StoreLayout.isBackupMetadataKey`: the
    /// index, locks, the pruned state, strays in the runs folder), sorted; looked for only in a store
    /// without manifests.
    var metadataKeys: [String] = []
    /// `_ktape/locks/store.json` as read, when it reads: its leases are the runs writing into the store
    /// then (or when it was copied, for a copy), and those killed before giving theirs up.
    var storeLock: LeaseTable?
    var unreadableStoreLock: ManifestError?

    /// `listedRuns`: the runs whose manifests the listing held (readable or not).
    static func load(store: any ObjectStore, layout: StoreLayout, hasManifests: Bool, listedRuns: Set<RunID> = [])
        async throws -> BackupTraces
    {
        var traces = BackupTraces()
        do {
            traces.index = try await IndexKeeper.read(store: store, layout: layout)?.index
            if let index = traces.index {
                traces.landedSinceListing = try await IndexKeeper.landedSinceListing(
                    index.runs.filter { !listedRuns.contains($0) }, store: store, layout: layout)
            }
        } catch let error as ManifestError {
            traces.unreadableIndex = error
        } catch let error as StoreError {
            throw InspectionError.store(error)
        }
        do {
            traces.storeLock = try LeaseTable.decode(Data(try await store.get(layout.storeLockKey)), name: layout.storeLockKey)
        } catch let error as ManifestError {
            traces.unreadableStoreLock = error
        } catch let error as StoreError where error.isNotFound {
        } catch let error as StoreError {
            throw InspectionError.store(error)
        }
        guard !hasManifests else { return traces }
        do {
            traces.metadataKeys = try await store.listAll(prefix: layout.metadataFolder).map(\.key)
                .filter(layout.isBackupMetadataKey).sorted()
            // The last run out leaves the store lock empty: no sign of a backup under way.
            if traces.storeLock?.leases.isEmpty == true { traces.metadataKeys.removeAll { $0 == layout.storeLockKey } }
        } catch let error as StoreError {
            throw InspectionError.store(error)
        }
        return traces
    }

    /// Why `contents` (a store without manifests) is the unfinished backup of ktape rather than a
    /// Confluent sink's bucket: its metadata and its envelope objects (which the sink never writes),
    /// a few named; nil when there is neither.
    func unfinishedBackupEvidence(in contents: StoreContents) -> String? {
        var envelopes = 0
        var example: String?
        for entries in contents.index.partitions.values {
            for entry in entries where entry.object.kind.content == .envelope {
                envelopes += 1
                if example.map({ entry.key < $0 }) ?? true { example = entry.key }
            }
        }
        var evidence: [String] = []
        if let first = metadataKeys.first {
            evidence.append(
                first + (metadataKeys.count > 1 ? " and \(metadataKeys.count - 1) more under \(StoreLayout.metadataFolder)/" : ""))
        }
        if let example {
            evidence.append("\(VerifyReport.count(envelopes, ".ktape.json object")) such as \(example)")
        }
        return evidence.isEmpty ? nil : evidence.joined(separator: "; ")
    }
}
