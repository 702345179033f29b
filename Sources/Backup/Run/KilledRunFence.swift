import Foundation
import Layout
import ObjectStore
import StoreLock
import StoreMetadata

/// A backup killed with a write still under way at the server (SIGKILL, an OOM kill) can have that
/// write land after another run took its lease: its manifest beside the new run's, covering the same
/// records twice, or an object over the new run's object of the same name. Before a run drops such a
/// lease it takes the killed run's manifest key with a placeholder (`RunManifest.placeholder`), and,
/// when the killed run was of this host (its lease dropped at once, not after it expired), first
/// waits `grace` for writes the server may still be carrying out. Each killed run is fenced once:
/// the lock's table can change under the run while it waits, and it then reads it again.
// @unchecked Sendable: `fenced` is only reached under `lock`.
final class KilledRunFence: @unchecked Sendable {
    /// How long a run waits before taking over the lease of a run of this host that was killed.
    static let grace: TimeInterval = 10

    private let runId: RunID
    private let request: BackupRequest
    private let configHash: String
    private let lock = NSLock()
    private var fenced: Set<String> = []

    init(by runId: RunID, _ request: BackupRequest, configHash: String) {
        self.runId = runId
        self.request = request
        self.configHash = configHash
    }

    func close(_ over: [LeaseTable.Lease]) async throws {
        let killed = lock.withLock { over.filter { !fenced.contains($0.runId) } }
        guard !killed.isEmpty else { return }
        let now = request.clock()
        if let recent = killed.first(where: { LockHolder.isGone($0.holder) && !$0.isExpired(at: now) }) {
            request.warn(
                "run \(recent.runId) of \(recent.holder) ended without giving up its lease (killed); waiting \(Int(request.killedRunGrace)) s for any write of it the store may still be carrying out"
            )
            try await Task.sleep(nanoseconds: UInt64(request.killedRunGrace * 1e9))
        }
        // The store's settings: a placeholder with this run's, if they differ, would stop every later run.
        let storeHash = try await IndexKeeper.read(store: request.store, layout: request.layout)?.index.configHash ?? configHash
        var options = request.basePutOptions
        options.contentType = "application/json"
        options.ifNoneMatch = true
        options.ifMatch = nil
        for lease in killed {
            let run = RunID(rawValue: lease.runId)
            let placeholder = RunManifest.placeholder(
                for: run, takenOverBy: runId, job: lease.job ?? request.job, at: now, store: request.manifestStoreSettings,
                configHash: storeHash)
            do {
                try await request.store.put(
                    request.layout.runManifestKey(run), body: placeholder.encodedBytes(layout: request.layout), options: options)
            } catch let error as StoreError where error.isAlreadyExists {
                // Its manifest is there (or this placeholder, its answer lost): folded next.
            }
            lock.withLock { _ = fenced.insert(lease.runId) }
        }
    }
}
