import Foundation
import Layout
import ObjectStore

/// Every run manifest of the store, read from `_ktape/runs/`. A manifest that cannot be read is
/// invalid input: the run refuses to guess a checkpoint past it.
enum ManifestHistory {
    static func load(store: any ObjectStore, layout: StoreLayout) async throws -> [RunManifest] {
        var manifests: [RunManifest] = []
        for object in try await store.listAll(prefix: layout.runsFolder) {
            guard layout.runID(fromKey: object.key) != nil else { continue }
            let bytes = try await store.get(object.key)
            do {
                manifests.append(try RunManifest.decode(Data(bytes), name: object.key, layout: layout))
            } catch {
                throw BackupError.invalidInput("\(error)")
            }
        }
        return manifests.sortedByRun()
    }
}
