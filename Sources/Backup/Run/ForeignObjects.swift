import Failures
import Foundation
import Layout
import ObjectStore

/// Data objects under the prefix of a store where no backup has taken a lease are not ktape's: a
/// Confluent S3 sink's bucket (under any `topics.dir`), or a ktape store copied without its `_ktape/`
/// folder. A backup there would write over those of the same names (the sink's own, or another
/// cluster's records under the same offsets), and once its manifest is written a restore of that
/// prefix reads only what manifests name, under their topics dir, so the rest could no longer be
/// restored. The first backup into such a store is refused before it writes.
enum ForeignObjects {
    /// Top-level folders of the prefix looked into, one page each, besides the topics dir itself.
    static let foldersLookedInto = 100

    /// `LeaseKeeper`'s `beforeCreating`: the store lock does not exist yet.
    static func refuseIfAny(_ request: BackupRequest) async throws {
        let layout = request.layout
        let found: String
        do {
            guard let first = try await firstDataObject(layout, request.store) else { return }
            // A backup of an older ktape (job locks, no store lock) has metadata; so has one whose lock
            // another run created since it was read, and that may have written the object found.
            if try await firstKey(under: layout.metadataFolder, in: request.store, where: layout.isBackupMetadataKey) != nil {
                return
            }
            found = first
        } catch {
            throw RunFailure.wrap(error, "list \(layout.storeName(at: request.store.location)) for objects another writer left")
        }
        throw RunFailure.invalidInput(
            "store \(layout.storeName(at: request.store.location)) already holds data objects but no ktape backup's metadata (such as \(found)): a Confluent S3 sink's bucket, or a ktape store copied without its \(StoreLayout.metadataFolder)/ folder; a backup here would write over objects of the same names and leave the rest out of every restore of it; back up into another store prefix, where its \(StoreLayout.metadataFolder)/ folder is its own (ktape restore and verify read this one as it is)"
        )
    }

    /// The first data object in this layout's topics dir (all of it: the backup writes there), else
    /// in the first page of each other top-level folder of the prefix (another `topics.dir`, such as
    /// `data/kafka`, or topic folders right under the prefix).
    private static func firstDataObject(_ layout: StoreLayout, _ store: any ObjectStore) async throws -> String? {
        if let key = try await firstKey(under: layout.topicsFolder, in: store, where: layout.isDataObjectInAnyTopicsDir) {
            return key
        }
        let top = try await store.list(prefix: layout.prefixFolder, delimiter: "/", continuationToken: nil, maxKeys: 1000)
        let folders = top.commonPrefixes.filter { $0 != layout.topicsFolder && $0 != layout.metadataFolder }
        for folder in folders.prefix(foldersLookedInto) {
            let keys = try await store.list(prefix: folder, delimiter: nil, continuationToken: nil, maxKeys: 1000).objects.map(\.key)
            // A ktape store of its own under this one's prefix (`backups/cluster-a/`) keeps its data.
            if keys.contains(where: { $0.hasPrefix(folder + StoreLayout.metadataFolder + "/") }) { continue }
            if let key = keys.first(where: layout.isDataObjectInAnyTopicsDir) { return key }
        }
        return nil
    }

    /// The first key under `folder` that `matches`, reading no further than it.
    private static func firstKey(under folder: String, in store: any ObjectStore, where matches: (String) -> Bool) async throws
        -> String?
    {
        let pages = store.keyPages(prefix: folder, pageSize: 1000)
        while let page = try await pages.nextPage() {
            if let key = page.first(where: { matches($0.key) }) { return key.key }
        }
        return nil
    }
}
