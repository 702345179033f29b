import Foundation
import Layout
import ObjectStore
import TimeText

/// Holds one run's lease in a `LeaseTable` object: added with a conditional write, renewed every third
/// of the lease while the run goes, removed at the end. Expired leases, and leases of processes of
/// this host that no longer exist (killed runs), are dropped by whoever writes the table next.
///
/// Every change is read-modify-write with `If-Match` on the version read (`If-None-Match` when there is
/// no table yet), so two runs never both add a lease from the same version. A write whose answer was
/// lost and whose retry failed its condition is recognised by reading the table again: a lease with
/// this run's id is this run's own. The last lease out leaves an empty table rather than deleting the
/// object: a server that ignores `If-Match` on DELETE (S3 took it only in 2025) would otherwise
/// delete a lease another run added meanwhile.
// @unchecked Sendable: its mutable fields are read and written under the `state` lock.
public final class LeaseKeeper: @unchecked Sendable {
    public let key: String
    private let store: any ObjectStore
    private let options: PutOptions
    private let template: LeaseTable.Lease
    private let leaseSeconds: TimeInterval
    private let renewEvery: TimeInterval
    /// Where the store proves it refuses conditional writes before the first lease write (nil: not asked).
    private let probe: String?
    private let clock: @Sendable () -> Date
    private let beforeDropping: (@Sendable ([LeaseTable.Lease]) async throws -> Void)?
    private let beforeCreating: (@Sendable () async throws -> Void)?
    private let state = NSLock()
    private var renewal: Task<Void, Never>?
    private var lostReason: String?
    private var keep = false
    /// The ETag of this run's last write of the table, when the table it wrote held its lease alone:
    /// release empties that version without reading it first (one request fewer a run).
    private var soleVersion: String?

    /// Rounds of read-modify-write before giving up on a table other runs keep changing.
    static let attempts = 20

    /// `lease` names the run and what it claims; its times are set when it is written. It lasts
    /// `seconds` by `clock` and is renewed every `renewEvery` seconds of real time (a third of it by default).
    /// `beforeDropping` runs before a write that drops other runs' leases that are over (expired, or
    /// of dead processes on this host): the store lock folds a killed backup's manifest there.
    /// `beforeCreating` runs before a write that creates the table (no run has taken a lease there
    /// yet); what it throws ends `acquire` with nothing written but the probe.
    public init(
        store: any ObjectStore, key: String, options: PutOptions = PutOptions(), lease: LeaseTable.Lease,
        seconds: TimeInterval, renewEvery: TimeInterval? = nil, clock: @escaping @Sendable () -> Date = { Date() },
        beforeDropping: (@Sendable ([LeaseTable.Lease]) async throws -> Void)? = nil,
        beforeCreating: (@Sendable () async throws -> Void)? = nil, probe: String? = nil
    ) {
        self.store = store
        self.key = key
        self.probe = probe
        var options = options
        options.contentType = "application/json"
        options.ifNoneMatch = false
        options.ifMatch = nil
        self.options = options
        template = lease
        leaseSeconds = seconds
        self.renewEvery = renewEvery ?? seconds / 3
        self.clock = clock
        self.beforeDropping = beforeDropping
        self.beforeCreating = beforeCreating
    }

    public var runId: String { template.runId }

    /// Lease times are judged by the earlier and written by the later of this host's clock and the
    /// store's (as its answers tell it): a lease is taken for over only once both say so, and lasts
    /// its time by both. So a host whose clock runs fast, and servers behind one address whose clocks
    /// differ, never end a live lease early.
    private func judgingNow() -> Date { bothClocks().earlier }
    private func writingNow() -> Date { bothClocks().later }

    /// This host's time and the store's, read once.
    private func bothClocks() -> (earlier: Date, later: Date) {
        let local = clock()
        let stores = local.addingTimeInterval(store.clockOffset)
        return (min(local, stores), max(local, stores))
    }

    /// Adds this run's lease, or throws `LeaseError.held` naming the lease whose claims overlap.
    public func acquire() async throws {
        if let probe { try await store.checkConditionalWrites(probe: probe, options: options) }
        try await update { table, now in
            if table.lease(runId: self.runId) != nil { return .keep }
            if let (other, claim) = table.leases.lazy.compactMap({ other in self.template.conflict(with: other).map { (other, $0) } }).first
            {
                throw LeaseError.held(key: self.key, by: other, claim: claim)
            }
            var lease = self.template
            lease.acquiredAt = now
            lease.expiresAt = now.addingTimeInterval(self.leaseSeconds)
            table.leases.append(lease)
            return .write
        }
        // A store that ignored the condition could have let another writer replace the table after us;
        // one that proved it does not (`probe`) needs no read back.
        if probe == nil { try await checkHeld() }
        let interval = renewEvery
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                guard !Task.isCancelled, let self else { return }
                await self.renew()
            }
        }
        state.withLock { renewal = task }
    }

    /// How often the lease is renewed: what a run may wait before a check of `checkHeld(margin:)`.
    public var renewalInterval: TimeInterval { renewEvery }

    /// Reads the table afresh and throws `LeaseError.lost` unless it holds this run's lease, unexpired,
    /// with at least `margin` seconds to run by the later of this host's clock and the store's. A run
    /// paused past its lease (SIGSTOP, a frozen VM) learns it here before it writes, not from a
    /// renewal that has not come round yet; once lost, the lease stays lost for this run.
    public func checkHeld(margin: TimeInterval = 0) async throws {
        if let reason = state.withLock({ lostReason }) { throw LeaseError.lost(key: key, reason: reason) }
        func lost(_ reason: String) -> LeaseError {
            state.withLock { lostReason = reason }
            return LeaseError.lost(key: key, reason: reason)
        }
        guard let table = try await read()?.table else {
            // No run deletes the table (its last lease out leaves it empty).
            throw lost("the lock itself is gone, which no ktape run does: the store was deleted, moved or emptied meanwhile")
        }
        guard let mine = table.lease(runId: runId) else {
            throw lost("the lease of run \(runId) is gone: another run removed it (it had expired, or its holder was taken for killed)")
        }
        if mine.isExpired(at: judgingNow()) {
            throw lost("the lease of run \(runId) expired at \(Timestamps.rfc3339(mine.expiresAt))")
        }
        if margin > 0 && mine.expiresAt.timeIntervalSince(writingNow()) < margin {
            throw lost(
                "the lease of run \(runId) runs out at \(Timestamps.rfc3339(mine.expiresAt)), too soon to write under it (the run was paused, or could not renew it): another run may take it over meanwhile"
            )
        }
    }

    /// Makes `release` stop renewing but leave the lease to expire (for a run that must be cleaned up
    /// after by whoever drops its lease).
    public func keepOnRelease() { state.withLock { keep = true } }

    /// Removes this run's lease; best effort (an expired lease frees the claims anyway). False when
    /// the lease could not be removed: the next run then waits for it to expire.
    @discardableResult
    public func release() async -> Bool {
        let keeping = state.withLock {
            renewal?.cancel()
            renewal = nil
            return keep
        }
        if keeping { return true }
        if let version = state.withLock({ soleVersion }), !version.isEmpty {
            // Unchanged since this run wrote it, the table holds only this run's lease; changed, it is read.
            var options = self.options
            options.ifMatch = version
            if let empty = try? LeaseTable().encoded(),
                (try? await store.put(key, body: Array(empty), options: options)) != nil
            {
                return true
            }
        }
        do {
            try await update { table, _ in
                guard table.lease(runId: self.runId) != nil else { return .keep }
                table.leases.removeAll { $0.runId == self.runId }
                return .write
            }
            return true
        } catch {
            return false
        }
    }

    /// Why a finished run's lease stayed, for its warning.
    public var leftBehind: String {
        "could not give up its lease in \(key); the next run of these topics waits for it to expire, up to \(Int(leaseSeconds)) s"
    }

    private func renew() async {
        do {
            try await update { table, now in
                guard let index = table.leases.firstIndex(where: { $0.runId == self.runId }) else {
                    throw LeaseError.lost(key: self.key, reason: "the lease of run \(self.runId) was taken over by another run")
                }
                table.leases[index].expiresAt = now.addingTimeInterval(self.leaseSeconds)
                return .write
            }
        } catch let error as LeaseError {
            state.withLock { lostReason = error.reason }
        } catch {
            // A failed renewal is tried again at the next tick; the lease lasts three of them.
        }
    }

    private enum Decision { case write, keep }

    /// Reads the table, drops leases that are over, lets `change` edit it, and writes it back on the
    /// condition that nobody changed it meanwhile; on a lost race it starts again from a fresh read.
    private func update(_ change: @escaping @Sendable (inout LeaseTable, Date) throws -> Decision) async throws {
        for attempt in 1...Self.attempts {
            let current = try await read()
            var table = current?.table ?? LeaseTable()
            let judged = judgingNow()
            let over = table.leases.filter { $0.runId != runId && ($0.isExpired(at: judged) || LockHolder.isGone($0.holder)) }
            if !over.isEmpty, let beforeDropping { try await beforeDropping(over) }
            table.leases.removeAll { lease in over.contains { $0.runId == lease.runId } }
            let decision = try change(&table, writingNow())
            if decision == .keep && over.isEmpty { return }
            if table.leases.isEmpty && current == nil { return }
            if current == nil, let beforeCreating { try await beforeCreating() }
            var options = self.options
            if let etag = current?.etag { options.ifMatch = etag } else { options.ifNoneMatch = true }
            do {
                let result = try await store.put(key, body: Array(try table.encoded()), options: options)
                let sole = table.leases.count == 1 && table.leases[0].runId == runId
                state.withLock { soleVersion = sole ? result.etag : nil }
                return
            } catch let error as StoreError where error.isConditionFailed {
                // Another run changed the table first, or this write landed and only its answer was
                // lost: the next read tells which.
                if attempt > 1 {
                    try? await Task.sleep(nanoseconds: UInt64.random(in: 10_000_000...(50_000_000 * UInt64(min(attempt, 8)))))
                }
            }
        }
        throw LeaseError.busy(key: key, attempts: Self.attempts)
    }

    private func read() async throws -> (table: LeaseTable, etag: String)? {
        let object: TaggedObject
        do {
            object = try await store.getTagged(key)
        } catch let error as StoreError where error.isNotFound {
            return nil
        }
        return (try LeaseTable.decode(Data(object.body), name: key), object.etag)
    }
}

/// Why a lease could not be taken or kept: one line for the run's failure.
public enum LeaseError: Error, CustomStringConvertible, Sendable {
    /// Another run's lease claims some of the same data.
    case held(key: String, by: LeaseTable.Lease, claim: LeaseTable.Claim)
    /// This run's lease is no longer in the table (taken over after it expired).
    case lost(key: String, reason: String)
    /// Other runs changed the table every time this one tried.
    case busy(key: String, attempts: Int)
    /// Asked to stop while waiting to drop a killed run's lease.
    case stopped(key: String)

    public var reason: String {
        switch self {
        case .held(_, let lease, let claim):
            return "\(claim) is held by \(lease.summary) until \(Timestamps.rfc3339(lease.expiresAt))"
        case .lost(_, let reason): return reason
        case .busy(_, let attempts): return "other runs changed it in each of \(attempts) attempts"
        case .stopped: return "stopped while waiting for a killed run's writes; its lease stays for the next run"
        }
    }

    public var description: String {
        switch self {
        case .held(let key, _, _):
            // The table is sealed (docs/layout.md, "Seals"): an edit by hand leaves the seal out too.
            return "\(reason); wait for that run, or, if it is gone, remove its lease from \(key) and that table's \"seal\" member"
        case .lost(let key, let reason):
            return "lock \(key): \(reason); this run stops"
        case .busy(let key, _):
            return "lock \(key): \(reason); try again"
        case .stopped(let key):
            return "lock \(key): \(reason)"
        }
    }
}
