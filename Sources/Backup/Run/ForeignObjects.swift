import Failures
import Foundation
import Layout
import ObjectStore

/// Objects in the topics dir of a store where no backup has taken a lease are not ktape's: a
/// Confluent S3 sink's bucket, or a ktape store copied without its `_ktape/` folder. A backup there
/// would write over those of the same names (the sink's own, or another cluster's records under the
/// same offsets), and once its manifest is written a restore reads only what manifests name, so the
/// rest could no longer be restored. The first backup into such a store is refused before it writes.
enum ForeignObjects {
    /// `LeaseKeeper`'s `beforeCreating`: the store lock does not exist yet.
    static func refuseIfAny(_ request: BackupRequest) async throws {
        let layout = request.layout
        let found: String?
        let traces: Bool
        do {
            guard let first = try await firstObject(under: layout.topicsFolder, in: request.store) else { return }
            found = first
            // A backup of an older ktape (job locks, no store lock) has metadata; so has one whose lock
            // another run created since it was read, and that may have written the object found.
            traces = try await request.store.listAll(prefix: layout.metadataFolder).contains {
                layout.isBackupMetadataKey($0.key)
            }
        } catch {
            throw RunFailure.wrap(error, "list \(layout.topicsFolder) for objects another writer left")
        }
        guard !traces, let found else { return }
        throw RunFailure.invalidInput(
            "store \(layout.storeName(at: request.store.location)): \(layout.topicsFolder) already holds objects no ktape backup wrote (such as \(found)): a Confluent S3 sink's bucket, or a ktape store copied without its \(StoreLayout.metadataFolder)/ folder; a backup here would write over objects of the same names and leave the rest out of every restore; back up into another store prefix, where its _ktape/ folder is its own (ktape restore and verify read this one as it is)"
        )
    }

    /// The first key under `folder` that is not a folder marker.
    private static func firstObject(under folder: String, in store: any ObjectStore) async throws -> String? {
        let pages = store.keyPages(prefix: folder, pageSize: 100)
        while let page = try await pages.nextPage() {
            if let key = page.first(where: { !$0.key.hasSuffix("/") }) { return key.key }
        }
        return nil
    }
}
