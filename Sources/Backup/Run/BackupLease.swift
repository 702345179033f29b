import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock
import StoreMetadata

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
        let store = request.store
        let layout = request.layout
        let options = request.basePutOptions
        let fence = KilledRunFence(by: runId, request, configHash: configHash)
        return LeaseKeeper(
            store: store, key: layout.storeLockKey, options: request.basePutOptions,
            lease: lease, seconds: request.lockLease, clock: request.clock,
            beforeDropping: { over in
                let killed = over.filter { $0.command == "backup" }
                try await fence.close(killed)
                // A backup killed between writing its manifest and folding it left its lease: fold that
                // manifest before the lease goes, or no later run would know to.
                try await IndexKeeper.foldRuns(killed.map { RunID(rawValue: $0.runId) }, store: store, layout: layout, options: options)
            }, probe: layout.conditionalWriteProbeKey)
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

    /// Before the manifest: the lease must still be this run's.
    static func checkHeld(_ keeper: LeaseKeeper) async throws {
        do { try await keeper.checkHeld() } catch let error as LeaseError {
            throw RunFailure.failure("\(error)")  // it names the lock itself
        } catch let error as ManifestError {
            throw RunFailure.invalidInput("\(error)")
        } catch {
            throw RunFailure.wrap(error, "lock \(keeper.key)")
        }
    }
}
