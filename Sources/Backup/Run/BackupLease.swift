import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock

/// The backup's lease in the store lock (`_ktape/locks/store.json`): it claims exactly the partitions
/// the run writes (whole topics when it writes them all, so partitions added later are covered), so
/// two runs that would write the same objects or manifests never both proceed, whatever their job
/// names, while the shards of one job run side by side. Members of one consumer group share their
/// claims: the group gives each partition one owner.
enum BackupLease {
    static func keeper(
        _ request: BackupRequest, runId: RunID, configHash: String, topics: [String], partitions: [TopicPartition]
    ) -> LeaseKeeper {
        let group = request.settings.groupID?.value
        let claims: [LeaseTable.Claim] =
            group == nil && request.settings.shard != nil
            ? LeaseTable.Claim.partitions(partitions)
            : topics.sorted().map { LeaseTable.Claim(topic: $0) }
        let lease = LeaseTable.Lease(
            runId: runId.rawValue, command: "backup", job: request.job, holder: request.holder,
            group: group, claims: claims, acquiredAt: request.clock(), expiresAt: request.clock())
        let fence = KilledBackupFence(
            takerId: runId, job: request.job, store: request.store, layout: request.layout, options: request.basePutOptions,
            grace: request.killedRunGrace, ownSettings: (request.manifestStoreSettings, configHash), clock: request.clock,
            stopped: { [stop = request.stop] in stop.reason != nil }, warn: request.warn)
        return LeaseKeeper(
            store: request.store, key: request.layout.storeLockKey, options: request.basePutOptions,
            lease: lease, seconds: request.lockLease, clock: request.clock,
            beforeDropping: { try await fence.close($0) },
            beforeCreating: { try await ForeignObjects.refuseIfAny(request) }, probe: request.layout.conditionalWriteProbeKey)
    }

    /// Takes the lease, after making sure no earlier ktape's job lock is live.
    static func acquire(_ keeper: LeaseKeeper, _ request: BackupRequest) async throws {
        do {
            try await LegacyJobLocks.check(store: request.store, layout: request.layout, now: request.clock())
            try await keeper.acquire()
        } catch let error as LeaseError {
            throw RunFailure.failure("store \(request.layout.storeName(at: request.store.location)): \(error)")
        } catch let error as LegacyLockError {
            throw RunFailure.failure("\(error)")
        } catch let error as ManifestError {
            throw RunFailure.invalidInput("\(error)")  // a lock no run of this ktape can read: it names it
        } catch {
            throw RunFailure.wrap(error, "lock \(keeper.key)")
        }
    }

    /// Before the manifest, and before an upload replaces an object (`ObjectSettings.beforeReplacing`):
    /// the lease must still be this run's, with a renewal's time to spare, or a run paused past it
    /// would write over the objects of the run that took over.
    static func checkHeld(_ keeper: LeaseKeeper) async throws {
        do { try await keeper.checkHeld(margin: keeper.renewalInterval) } catch let error as LeaseError {
            throw RunFailure.failure("\(error)")  // it names the lock itself
        } catch let error as ManifestError {
            throw RunFailure.invalidInput("\(error)")
        } catch {
            throw RunFailure.wrap(error, "lock \(keeper.key)")
        }
    }
}
