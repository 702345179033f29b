import Foundation
import Layout
import ObjectStore
import TimeText

/// Job locks (`_ktape/locks/<job>-<shard>.json`) as ktape wrote them before the store lock. They do not
/// say which topics their run writes, so a live one keeps every writer out of the store until it ends:
/// an older ktape still running beside a newer one, during an upgrade, must not write the same data.
public enum LegacyJobLocks {
    /// Throws `LeaseError.held`-like failure text for the first live job lock under `layout.locksFolder`.
    public static func check(store: any ObjectStore, layout: StoreLayout, now: Date) async throws {
        for object in try await store.listAll(prefix: layout.locksFolder) where object.key != layout.storeLockKey {
            guard object.key.hasSuffix(".json"), let bytes = try? await store.get(object.key),
                let lock = try? JobLock.decode(Data(bytes), name: object.key)
            else { continue }
            if lock.isExpired(at: now) || LockHolder.isGone(lock.holder) { continue }
            throw LegacyLockError(key: object.key, lock: lock)
        }
    }
}

public struct LegacyLockError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var lock: JobLock

    public var description: String {
        "the store is in use by an earlier ktape: \(key) is held by job \(lock.job) on \(lock.holder) (run \(lock.runId)) until "
            + "\(Timestamps.rfc3339(lock.expiresAt)); wait for it, or delete that lock if its run is gone"
    }
}
