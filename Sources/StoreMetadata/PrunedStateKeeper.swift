import Foundation
import Layout
import ObjectStore

/// Reads and changes `_ktape/pruned.json` (`PrunedState`), with `If-Match` on the version read
/// (`If-None-Match` to create it), so prunes of different topics at once never lose each other's.
public enum PrunedStateKeeper {
    /// The state, or an empty one for a store never pruned.
    public static func read(store: any ObjectStore, layout: StoreLayout) async throws -> PrunedState {
        try await readTagged(store: store, layout: layout)?.state ?? PrunedState()
    }

    /// Records `entries` (each partition's new first offset and what went) and returns the new state.
    @discardableResult
    public static func record(
        _ entries: [PrunedState.Partition], store: any ObjectStore, layout: StoreLayout,
        options base: PutOptions = PutOptions()
    ) async throws -> PrunedState {
        for attempt in 1...20 {
            let current = try await readTagged(store: store, layout: layout)
            var state = current?.state ?? PrunedState()
            for entry in entries { state.record(entry) }
            if state == current?.state { return state }
            var options = base
            options.contentType = "application/json"
            options.ifMatch = current?.etag
            options.ifNoneMatch = current == nil
            do {
                try await store.put(layout.prunedKey, body: Array(try state.encoded()), options: options)
                return state
            } catch let error as StoreError where error.isConditionFailed {
                // Another prune recorded first, or this write landed and its answer was lost: read again.
                if attempt > 1 { try? await Task.sleep(nanoseconds: UInt64.random(in: 10_000_000...50_000_000)) }
            }
        }
        throw StoreError(
            .transient, operation: "update", location: store.location, key: layout.prunedKey,
            message: "other runs changed it in each of 20 attempts")
    }

    static func readTagged(store: any ObjectStore, layout: StoreLayout) async throws -> (state: PrunedState, etag: String)? {
        let object: TaggedObject
        do {
            object = try await store.getTagged(layout.prunedKey)
        } catch let error as StoreError where error.isNotFound {
            return nil
        }
        return (try PrunedState.decode(Data(object.body), name: layout.prunedKey), object.etag)
    }
}
