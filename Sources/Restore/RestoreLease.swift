import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock
import TimeText

/// One restore per target topic: a lease in `_ktape/restore/cluster-<id>.lock.json` (named as the
/// resume state is, beside it, in the store or in `--state-dir`), claiming the target topics. A
/// second restore into any of them is refused before it creates a topic or produces a record;
/// restores into other topics of the same cluster run side by side.
enum RestoreLease {
    static func keeper(states: ResumeStateStore, targets: [String], options: RestoreOptions) -> LeaseKeeper {
        let now = options.clock()
        let runId = "restore-\(RunID.compactTimestamp(now))-\(RunID.hex(UInt32.random(in: .min ... .max)))"
        let lease = LeaseTable.Lease(
            runId: runId, command: "restore", job: options.jobName, holder: options.holder, group: nil,
            claims: targets.sorted().map { LeaseTable.Claim(topic: $0) }, acquiredAt: now, expiresAt: now)
        return LeaseKeeper(
            store: states.store, key: states.layout.restoreLockKey(targetCluster: states.targetCluster),
            lease: lease, seconds: options.lockLease, clock: options.clock, probe: states.layout.restoreConditionalWriteProbeKey)
    }

    static func acquire(_ keeper: LeaseKeeper, states: ResumeStateStore, targets: [String], options: RestoreOptions) async throws {
        do {
            try await keeper.acquire()
            do {
                try await checkLegacy(states: states, targets: Set(targets), options: options)
            } catch {
                await keeper.release()
                throw error
            }
        } catch let error as LeaseError {
            throw RunFailure.failure("target cluster \(options.kafka.bootstrapServers): another restore is running into it: \(error)")
        } catch let error as ManifestError {
            throw RunFailure.invalidInput("\(error)")  // a lock no run of this ktape can read: it names it
        } catch let error as StoreError where error.isConfigurationError && options.stateDirectory == nil {
            // A store this user may read but not write (a bucket handed over read-only, a copy's folder).
            var failure = RunFailure.wrap(error, "lock \(keeper.key)")
            failure.message +=
                "; restore keeps its lease and resume state in the store: pass --state-dir DIR to keep them in a local directory"
            throw failure
        } catch {
            throw RunFailure.wrap(error, "lock \(keeper.key)")
        }
    }

    /// A restore by ktape before cluster ids keeps its lease under the bootstrap-named key, and does
    /// not read this one: a live lease of its on a target topic keeps this restore out (both would
    /// write every record).
    private static func checkLegacy(states: ResumeStateStore, targets: Set<String>, options: RestoreOptions) async throws {
        guard let legacy = states.legacyCluster else { return }
        let key = states.layout.restoreLockKey(targetCluster: legacy)
        let bytes: [UInt8]
        do {
            bytes = try await states.store.get(key)
        } catch let error as StoreError where error.isNotFound {
            return
        }
        // One no ktape can read is no lease of a restore that could be running.
        guard let table = try? LeaseTable.decode(Data(bytes), name: key) else { return }
        let now = options.clock()
        for lease in table.leases where !lease.isExpired(at: now) && !LockHolder.isGone(lease.holder) {
            guard let topic = lease.claims.map(\.topic).first(where: targets.contains) else { continue }
            throw RunFailure.failure(
                "target cluster \(options.kafka.bootstrapServers): another restore is running into \(topic): \(key), the lease of an earlier ktape, is held by \(lease.holder) (run \(lease.runId)) until \(Timestamps.rfc3339(lease.expiresAt)); wait for it, or delete that lease if its run is gone"
            )
        }
    }
}
