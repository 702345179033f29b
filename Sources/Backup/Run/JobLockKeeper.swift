import Foundation
import Layout
import ObjectStore
import TimeText

/// One run of a job at a time: a lock object created with a conditional put, holding a lease that
/// is renewed while the run goes, so a killed run's lock simply expires and is taken over.
/// Because a store might ignore `If-None-Match`, the lock is read back after writing and again
/// before the manifest is written: a run that finds another's lock there stops.
final class JobLockKeeper: @unchecked Sendable {
    let key: String
    private let store: any ObjectStore
    private let job: String
    private let runId: RunID
    private let holder: String
    private let lease: TimeInterval
    private let clock: @Sendable () -> Date
    private let options: PutOptions
    private var renewal: Task<Void, Never>?
    private let lostLock = NSLock()
    private var lost: String?

    init(request: BackupRequest, runId: RunID) {
        key = request.layout.lockKey(job: request.lockName)
        store = request.store
        job = request.lockName
        self.runId = runId
        holder = request.holder
        lease = request.lockLease
        clock = request.clock
        var options = request.basePutOptions
        options.ifNoneMatch = true
        self.options = options
    }

    /// Takes the lock, or fails with one line naming the job, the holder and when its lease ends.
    func acquire() async throws {
        do {
            try await create()
        } catch let error as StoreError where error.isAlreadyExists {
            let existing = try await read()
            if let existing, !existing.isExpired(at: clock()), !LockHolder.isGone(existing.holder) { throw heldError(existing) }
            // Expired, held by a process of this host that no longer exists (a killed run), or vanished
            // meanwhile: take it over; a racing taker loses the create.
            try await store.delete(key)
            do { try await create() } catch let error as StoreError where error.isAlreadyExists {
                throw try await read().map(heldError) ?? BackupError.failure("lock \(key): another run took it over first")
            }
        }
        try await checkOurs()
        renewal = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64((self?.lease ?? 600) / 3 * 1e9))
                guard !Task.isCancelled, let self else { return }
                await self.renew()
            }
        }
    }

    /// Fails if the lock is no longer ours (another run took it over after our lease ran out).
    func checkOurs() async throws {
        if let reason = lostLock.withLock({ lost }) { throw BackupError.failure(reason) }
        guard let current = try await read() else {
            throw BackupError.failure("lock \(key) of job \(job) disappeared while run \(runId) held it")
        }
        guard current.runId == runId else {
            throw BackupError.failure("lock \(key) of job \(job) is now held by \(current.holder) (run \(current.runId)); this run \(runId) stops")
        }
    }

    /// Deletes the lock if it is still ours; best effort (an expired lease frees it anyway).
    func release() async {
        renewal?.cancel()
        renewal = nil
        if let current = try? await read(), current.runId == runId { try? await store.delete(key) }
    }

    private func create() async throws {
        let now = clock()
        let lock = JobLock(job: job, runId: runId, holder: holder, acquiredAt: now, expiresAt: now.addingTimeInterval(lease))
        try await store.put(key, body: Array(try lock.encoded()), options: options)
    }

    private func renew() async {
        do {
            guard var current = try await read(), current.runId == runId else {
                lostLock.withLock { lost = "lock \(key) of job \(job) was taken over by another run while this run \(runId) was going" }
                return
            }
            current.expiresAt = clock().addingTimeInterval(lease)
            var plain = options
            plain.ifNoneMatch = false
            try await store.put(key, body: Array(try current.encoded()), options: plain)
        } catch {
            // A failed renewal is retried at the next tick; the lease is three ticks long.
        }
    }

    private func read() async throws -> JobLock? {
        do {
            return try JobLock.decode(Data(try await store.get(key)), name: key)
        } catch let error as StoreError where error.isNotFound {
            return nil
        }
    }

    private func heldError(_ lock: JobLock) -> BackupError {
        .failure("job \(job) is already running: \(key) is held by \(lock.holder) (run \(lock.runId)) until "
                 + "\(Timestamps.rfc3339(lock.expiresAt)); wait for it, or delete the lock if that run is gone")
    }
}
