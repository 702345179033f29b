import Foundation
import Layout
import ObjectStore
import StoreMetadata

/// A backup killed with a write still under way at the server (SIGKILL, an OOM kill) can have that
/// write land after another run dropped its lease: its manifest beside a rerun's, covering the same
/// records twice, or an object over the rerun's object of the same name. Whoever drops such a lease
/// (a backup or a prune) passes it here first: when the killed run was of this host (its lease is
/// dropped without waiting for it to expire) this waits `grace` for writes a server may still be
/// carrying out, then takes the killed run's manifest key with a placeholder
/// (`RunManifest.placeholder`) unless its manifest is there, and folds what is there into the index.
/// Each killed run is fenced once: the lock's table can change during the wait and be read again.
// @unchecked Sendable: `fenced` is only reached under `lock`.
public final class KilledBackupFence: @unchecked Sendable {
    /// How long a run waits before dropping the lease of a killed run of this host.
    public static let grace: TimeInterval = 10

    private let takerId: RunID
    private let job: String
    private let store: any ObjectStore
    private let layout: StoreLayout
    private let options: PutOptions
    private let grace: TimeInterval
    /// The taker's own settings and config hash, for a store none of whose runs finished.
    private let ownSettings: (store: ManifestStoreSettings, configHash: String)?
    private let warn: @Sendable (String) -> Void
    private let clock: @Sendable () -> Date
    private let stopped: @Sendable () -> Bool
    private let lock = NSLock()
    private var fenced: Set<String> = []

    public init(
        takerId: RunID, job: String, store: any ObjectStore, layout: StoreLayout, options: PutOptions,
        grace: TimeInterval = KilledBackupFence.grace, ownSettings: (store: ManifestStoreSettings, configHash: String)?,
        clock: @escaping @Sendable () -> Date, stopped: @escaping @Sendable () -> Bool = { false },
        warn: @escaping @Sendable (String) -> Void
    ) {
        self.takerId = takerId
        self.job = job
        self.store = store
        self.layout = layout
        var options = options
        options.contentType = "application/json"
        options.ifNoneMatch = true
        options.ifMatch = nil
        self.options = options
        self.grace = grace
        self.ownSettings = ownSettings
        self.clock = clock
        self.stopped = stopped
        self.warn = warn
    }

    /// `LeaseKeeper`'s `beforeDropping`: `over` are the leases about to be dropped.
    public func close(_ over: [LeaseTable.Lease]) async throws {
        let backups = over.filter { $0.command == "backup" }
        let killed = lock.withLock { backups.filter { !fenced.contains($0.runId) } }
        if !killed.isEmpty {
            // Whatever the clocks say: a dead process of this host may have died a moment ago.
            if let recent = killed.first(where: { LockHolder.isGone($0.holder) }) {
                warn(
                    "run \(recent.runId) of \(recent.holder) ended without giving up its lease (killed); waiting \(Int(grace)) s for any write of it the store may still be carrying out"
                )
                // A signal ends the wait (the run is stopping, and the lease stays until a later run's).
                let until = Date().addingTimeInterval(grace)
                while Date() < until {
                    if stopped() { throw LeaseError.stopped(key: layout.storeLockKey) }
                    try await Task.sleep(nanoseconds: UInt64(min(0.1, max(0, until.timeIntervalSinceNow)) * 1e9))
                }
            }
            if let settings = try await storeSettings() {
                for lease in killed {
                    let run = RunID(rawValue: lease.runId)
                    let placeholder = RunManifest.placeholder(
                        for: run, takenOverBy: takerId, job: lease.job ?? job, at: clock(), store: settings.store,
                        configHash: settings.configHash)
                    do {
                        try await store.put(layout.runManifestKey(run), body: placeholder.encodedBytes(layout: layout), options: options)
                    } catch let error as StoreError where error.isAlreadyExists {
                        // Its manifest is there (or this placeholder, its answer lost): folded below.
                    }
                }
            }
            lock.withLock { fenced.formUnion(killed.map(\.runId)) }
        }
        // A backup killed between writing its manifest and folding it: fold it before its lease goes,
        // or no later run would know to.
        // (The fold sets its own write condition on the index over the placeholders' create-only one.)
        try await IndexKeeper.foldRuns(backups.map { RunID(rawValue: $0.runId) }, store: store, layout: layout, options: options)
    }

    /// The settings of the store's newest run (a placeholder must read as one of its runs: another
    /// topics dir or format would fail every reader), or the taker's own in a store where no run
    /// finished. Nil when neither is known (a prune, which never meets a store without runs).
    private func storeSettings() async throws -> (store: ManifestStoreSettings, configHash: String)? {
        let newest: RunManifest?
        if let last = try await IndexKeeper.read(store: store, layout: layout)?.index.lastRunId {
            newest = try await ManifestHistory.load(runs: [last], store: store, layout: layout).last
        } else {
            newest = try await ManifestHistory.loadOutlines(store: store, layout: layout).last
        }
        return newest.map { ($0.store, $0.configHash) } ?? ownSettings
    }
}
