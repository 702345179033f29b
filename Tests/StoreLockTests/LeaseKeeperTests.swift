import Foundation
import Spawn
import KtapeTestSupport
import Layout
import ObjectStore
import StoreLock
import Testing

enum LockBackend: String, CaseIterable, CustomStringConvertible {
    case memory, directory, s3
    var description: String { rawValue }

    func makeStore() async throws -> any ObjectStore {
        switch self {
        case .memory: return MemoryStore()
        case .directory: return try LocalDirectoryStore(root: NSTemporaryDirectory() + "ktape-lock-" + UUID().uuidString)
        case .s3: return try await S3TestServer.shared.value.freshStore()
        }
    }
}

/// Leases in one lock object: overlapping claims exclude each other, disjoint ones and one group's
/// members share the table, and every change is a conditional write.
struct LeaseKeeperTests {
    static let key = "_ktape/locks/store.json"

    static func keeper(
        _ store: any ObjectStore, run: String, claims: [LeaseTable.Claim], group: String? = nil,
        holder: String = "otherhost pid 1", seconds: TimeInterval = 600
    ) -> LeaseKeeper {
        let lease = LeaseTable.Lease(
            runId: run, command: "backup", job: "job-\(run)", holder: holder, group: group,
            claims: claims, acquiredAt: Date(), expiresAt: Date())
        return LeaseKeeper(store: store, key: key, lease: lease, seconds: seconds)
    }

    /// Run "first" (topic a) and run "second" (topic b) share the table, then "first" ends: the
    /// table holds "second" alone, which is returned.
    static func secondLeftAlone(in store: any ObjectStore) async throws -> LeaseKeeper {
        let first = keeper(store, run: "first", claims: [LeaseTable.Claim(topic: "a")])
        try await first.acquire()
        let second = keeper(store, run: "second", claims: [LeaseTable.Claim(topic: "b")])
        try await second.acquire()
        await first.release()
        #expect(try await table(store).leases.map(\.runId) == ["second"])
        return second
    }

    static func table(_ store: any ObjectStore) async throws -> LeaseTable {
        try LeaseTable.decode(Data(try await store.get(key)), name: key)
    }

    @Test(arguments: LockBackend.allCases)
    func overlappingClaimsAreRefusedNamingTheHolder(_ backend: LockBackend) async throws {
        let store = try await backend.makeStore()
        let first = Self.keeper(store, run: "a", claims: [LeaseTable.Claim(topic: "orders")])
        try await first.acquire()
        let second = Self.keeper(store, run: "b", claims: LeaseTable.Claim.partitions([TopicPartition("orders", 3)]))
        let error = await #expect(throws: LeaseError.self) { try await second.acquire() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("topic orders is held by backup of job job-a by otherhost pid 1 (run a) until 2"), "\(text)")
        #expect(text.contains(Self.key))
        #expect(try await Self.table(store).leases.map(\.runId) == ["a"])
        await first.release()
        try await second.acquire()
        #expect(try await Self.table(store).leases.map(\.runId) == ["b"])
    }

    @Test(arguments: LockBackend.allCases)
    func disjointPartitionsAndOneGroupShareTheTable(_ backend: LockBackend) async throws {
        let store = try await backend.makeStore()
        let shard0 = Self.keeper(store, run: "s0", claims: LeaseTable.Claim.partitions([TopicPartition("t", 0), TopicPartition("t", 2)]))
        let shard1 = Self.keeper(store, run: "s1", claims: LeaseTable.Claim.partitions([TopicPartition("t", 1), TopicPartition("t", 3)]))
        let member1 = Self.keeper(store, run: "g1", claims: [LeaseTable.Claim(topic: "u")], group: "etl")
        let member2 = Self.keeper(store, run: "g2", claims: [LeaseTable.Claim(topic: "u")], group: "etl")
        for keeper in [shard0, shard1, member1, member2] { try await keeper.acquire() }
        #expect(try await Self.table(store).leases.map(\.runId) == ["s0", "s1", "g1", "g2"])
        // A run outside the group, or a shard of another count, overlaps and is refused.
        let outsider = Self.keeper(store, run: "x", claims: [LeaseTable.Claim(topic: "u")], group: "other")
        await #expect(throws: LeaseError.self) { try await outsider.acquire() }
        let otherCount = Self.keeper(store, run: "y", claims: LeaseTable.Claim.partitions([TopicPartition("t", 2)]))
        await #expect(throws: LeaseError.self) { try await otherCount.acquire() }
        await shard0.release()
        #expect(try await Self.table(store).leases.map(\.runId) == ["s1", "g1", "g2"])
    }

    @Test(arguments: LockBackend.allCases)
    func expiredLeasesAndKilledProcessesOfThisHostAreTakenOver(_ backend: LockBackend) async throws {
        let store = try await backend.makeStore()
        let gone = ChildProcess()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let now = Date()
        let stale = LeaseTable(leases: [
            LeaseTable.Lease(
                runId: "expired", command: "backup", job: nil, holder: "far pid 9", claims: [LeaseTable.Claim(topic: "t")],
                acquiredAt: now.addingTimeInterval(-700), expiresAt: now.addingTimeInterval(-1)),
            LeaseTable.Lease(
                runId: "killed", command: "restore", job: nil,
                holder: LockHolder.named(pid: gone.processIdentifier),
                claims: [LeaseTable.Claim(topic: "t")], acquiredAt: now, expiresAt: now.addingTimeInterval(600))
        ])
        try await store.put(Self.key, body: Array(try stale.encoded()))
        try await Self.keeper(store, run: "new", claims: [LeaseTable.Claim(topic: "t")]).acquire()
        #expect(try await Self.table(store).leases.map(\.runId) == ["new"])
    }

    /// A holder is taken for gone only when it names a process of this boot and PID namespace that
    /// no longer exists: the same host name with another namespace (a container sharing the host's
    /// name), or no namespace (an older ktape), is waited out, however its PID looks here.
    /// The lock itself gone (the store deleted or moved mid-run) is said to be that, not a lease
    /// "another run removed": no run deletes the table.
    @Test func aLockGoneWithTheStoreIsNamedSo() async throws {
        let store = MemoryStore()
        let keeper = Self.keeper(store, run: "a", claims: [LeaseTable.Claim(topic: "orders")])
        try await keeper.acquire()
        try await store.delete(Self.key, ifMatch: nil)
        let error = await #expect(throws: LeaseError.self) { try await keeper.checkHeld() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("the lock itself is gone, which no ktape run does: the store was deleted, moved or emptied"), "\(text)")
        await keeper.release()
    }

    @Test func onlyAGoneProcessOfThisNamespaceIsTakenForGone() throws {
        let gone = ChildProcess()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let named = LockHolder.named(pid: gone.processIdentifier)
        let host = ProcessInfo.processInfo.hostName
        #expect(named.hasPrefix("\(host) pid \(gone.processIdentifier) ns "))
        #expect(LockHolder.isGone(named))
        #expect(!LockHolder.isGone(named + "0"))
        #expect(!LockHolder.isGone("\(host) pid \(gone.processIdentifier) ns 00000000/1"))
        #expect(!LockHolder.isGone("\(host) pid \(gone.processIdentifier)"))
        #expect(
            !LockHolder.isGone("elsewhere pid \(gone.processIdentifier)" + named.dropFirst("\(host) pid \(gone.processIdentifier)".count)))
        #expect(!LockHolder.isGone(LockHolder.current))
        #expect(!LockHolder.isGone(LockHolder.named(pid: 1)))
    }

    /// A killed holder whose parent has not reaped it yet (a zombie) is gone too.
    @Test func anUnreapedHolderIsGone() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for arg in argv { free(arg) } }
        #expect(posix_spawn(&pid, "/bin/true", nil, nil, argv, nil) == 0)
        // Wait for it to exit without reaping it.
        var info = siginfo_t()
        #expect(waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0)
        #expect(kill(pid, 0) == 0)
        #expect(LockHolder.isGone(LockHolder.named(pid: pid)))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// A lease another run removed (taken over) ends this run with one line that names the lock once.
    @Test func aLeaseRemovedByAnotherRunIsLostInOneLine() async throws {
        let store = MemoryStore()
        let keeper = Self.keeper(store, run: "mine", claims: [LeaseTable.Claim(topic: "t")])
        try await keeper.acquire()
        // As a run that took it over leaves the table: without it.
        try await store.put(Self.key, body: Array(try LeaseTable().encoded()))
        let error = await #expect(throws: LeaseError.self) { try await keeper.checkHeld() }
        #expect(
            error?.description
                == "lock \(Self.key): the lease of run mine is gone: another run removed it (it had expired, or its holder was taken for killed); this run stops"
        )
    }

    @Test(arguments: LockBackend.allCases)
    func manyRunsRacingForOneTopicLeaveExactlyOneHolder(_ backend: LockBackend) async throws {
        let store = try await backend.makeStore()
        let winners = try await withThrowingTaskGroup(of: String?.self) { group in
            for n in 0..<10 {
                group.addTask {
                    do {
                        try await Self.keeper(store, run: "r\(n)", claims: [LeaseTable.Claim(topic: "t")]).acquire()
                        return "r\(n)"
                    } catch is LeaseError {
                        return nil
                    }
                }
            }
            return try await group.reduce(into: [String]()) { if let run = $1 { $0.append(run) } }
        }
        #expect(winners.count == 1)
        #expect(try await Self.table(store).leases.map(\.runId) == winners)
    }

    /// A run that held the table alone empties the version it wrote without reading it (a request
    /// fewer, which keeps a run with no new data within ten); one that met another lease since reads
    /// the table and leaves that lease in it, on every backend. No lease table is ever deleted.
    @Test(arguments: LockBackend.allCases)
    func releaseEmptiesItsOwnVersionAndKeepsOthersLeases(_ backend: LockBackend) async throws {
        let counted = CountingStore()
        let alone = Self.keeper(counted, run: "alone", claims: [LeaseTable.Claim(topic: "t")])
        try await alone.acquire()
        counted.reset()
        await alone.release()
        #expect(counted.byVerb == ["put": 1], "\(counted.byVerb)")
        #expect(try await Self.table(counted).leases.isEmpty)

        let store = try await backend.makeStore()
        let second = try await Self.secondLeftAlone(in: store)
        await second.release()
        #expect(try await store.listAll(prefix: "_ktape/").map(\.key) == [Self.key])
        #expect(try await Self.table(store).leases.isEmpty)
        // The next run takes the emptied table on its version, as it would a missing one.
        let third = Self.keeper(store, run: "third", claims: [LeaseTable.Claim(topic: "a")])
        try await third.acquire()
        #expect(try await Self.table(store).leases.map(\.runId) == ["third"])
        await third.release()
    }

    /// A server that takes `If-Match` on DELETE and ignores it (S3 honours it only since 2025; some
    /// servers parse it and delete anyway) must not let a run's release take another run's lease
    /// with it: a third run would then share the second's topics.
    @Test func aServerIgnoringConditionalDeletesKeepsOtherRunsLeases() async throws {
        let store = ConditionalDeleteIgnoringStore(base: MemoryStore())
        let second = try await Self.secondLeftAlone(in: store)
        let third = Self.keeper(store, run: "third", claims: [LeaseTable.Claim(topic: "b")])
        let error = await #expect(throws: LeaseError.self) { try await third.acquire() }
        #expect(error.map { "\($0)" }?.contains("held by backup of job job-second") == true, "\(String(describing: error))")
        try await second.checkHeld()
        await second.release()
        #expect(try await Self.table(store).leases.isEmpty)
    }

    /// Run "first" holds topic t from `start`, by a store that agrees with its clock; run "second",
    /// whose own clock reads `later` seconds on and whose store answers `storeOffset` seconds from
    /// that, then asks for t. Returns the error the second got, and releases the first.
    static func secondRunAsks(later: TimeInterval, storeOffset: TimeInterval) async throws -> LeaseError? {
        let shared = MemoryStore()
        let start = Date()
        func keeper(_ run: String, _ holder: String, _ store: any ObjectStore, at now: Date) -> LeaseKeeper {
            LeaseKeeper(
                store: store, key: key,
                lease: LeaseTable.Lease(
                    runId: run, command: "backup", job: nil, holder: holder, claims: [LeaseTable.Claim(topic: "t")],
                    acquiredAt: now, expiresAt: now),
                seconds: 600, clock: { now })
        }
        let first = keeper("first", "hostA pid 1", shared, at: start)
        try await first.acquire()
        let second = keeper(
            "second", "hostB pid 2", ClockOffsetStore(base: shared, clockOffset: storeOffset), at: start.addingTimeInterval(later))
        let error = await #expect(throws: LeaseError.self) { try await second.acquire() }
        #expect(try await table(shared).leases.map(\.runId) == ["first"])
        await first.release()
        return error
    }

    /// Two hosts whose clocks are 11 minutes apart (a lease lasts 10) and a store both reach: by its
    /// clock, which its answers give each of them, the first run's lease is live, and the second run
    /// is refused. By its own clock the second host took that lease for expired and ran beside it.
    @Test func hostsWhoseClocksDifferJudgeLeasesByTheStores() async throws {
        let error = try await Self.secondRunAsks(later: 660, storeOffset: -660)
        #expect(error.map { "\($0)" }?.contains("held by backup by hostA pid 1") == true, "\(String(describing: error))")
    }

    /// Servers behind one address whose clocks differ by 700 s: a run whose last answer came from
    /// the fast one, on a host whose own clock is right, does not take a lease written 5 minutes
    /// ago for expired (by the fast server's time it ended 100 s ago).
    @Test func aFastServerClockDoesNotEndALiveLease() async throws {
        _ = try await Self.secondRunAsks(later: 300, storeOffset: 700)
    }

    @Test func aLostAnswerToTheLeaseWriteIsRecognisedAsOurs() async throws {
        let store = AnswerLosingStore(base: MemoryStore(), losing: { $0 == Self.key })
        let keeper = Self.keeper(store, run: "mine", claims: [LeaseTable.Claim(topic: "t")])
        try await keeper.acquire()
        #expect(store.lostAnswers == 1)
        #expect(try await Self.table(store).leases.map(\.runId) == ["mine"])
        try await keeper.checkHeld()
    }

    /// A run paused for most of its lease (no renewal came round) resumes with its lease in the
    /// table but about to run out: checked with a margin before it writes, the lease counts as lost,
    /// and stays lost though a renewal may extend it afterwards.
    @Test func aLeaseTooCloseToItsEndIsLostToAWriteThatNeedsMargin() async throws {
        let store = MemoryStore()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let lease = LeaseTable.Lease(
            runId: "paused", command: "backup", job: nil, holder: "otherhost pid 1",
            claims: [LeaseTable.Claim(topic: "t")], acquiredAt: clock.now, expiresAt: clock.now)
        let keeper = LeaseKeeper(store: store, key: Self.key, lease: lease, seconds: 600, renewEvery: 200, clock: { clock.now })
        try await keeper.acquire()
        try await keeper.checkHeld(margin: keeper.renewalInterval)
        clock.advance(450)
        try await keeper.checkHeld()
        let error = await #expect(throws: LeaseError.self) { try await keeper.checkHeld(margin: keeper.renewalInterval) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("too soon to write under it"), "\(String(describing: error))")
        await #expect(throws: LeaseError.self) { try await keeper.checkHeld() }
        await keeper.release()
    }

    @Test func theLeaseIsRenewedWhileTheRunGoesAndLostWhenTakenOver() async throws {
        let store = MemoryStore()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let lease = LeaseTable.Lease(
            runId: "long", command: "backup", job: nil, holder: "otherhost pid 1",
            claims: [LeaseTable.Claim(topic: "t")], acquiredAt: clock.now, expiresAt: clock.now)
        let keeper = LeaseKeeper(store: store, key: Self.key, lease: lease, seconds: 600, renewEvery: 0.05, clock: { clock.now })
        try await keeper.acquire()
        #expect(try await Self.table(store).leases[0].expiresAt == clock.now.addingTimeInterval(600))
        // 500 s on, a renewal moves the end 600 s past then, so at 900 s the lease still holds.
        clock.advance(500)
        // Generous: a loaded test process (the AddressSanitizer pass) can starve its cooperative
        // threads for minutes; 120 s was once not enough.
        let deadline = Date().addingTimeInterval(300)
        while try await Self.table(store).leases[0].expiresAt < clock.now.addingTimeInterval(600), Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        clock.advance(400)
        try await keeper.checkHeld()
        // Another run removes it (as one would after it expired): the keeper finds out.
        try await store.put(Self.key, body: Array(try LeaseTable().encoded()))
        await #expect(throws: LeaseError.self) { try await keeper.checkHeld() }
        await keeper.release()
    }
}

/// A clock the test moves.
// @unchecked Sendable: its mutable state is under `lock`.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// Deletes whatever `If-Match` says, as a server that accepts the header on DELETE and ignores it.
struct ConditionalDeleteIgnoringStore: ForwardingStore {
    let base: any ObjectStore
    var forwardee: any ObjectStore { base }
    func delete(_ key: String, ifMatch: String?) async throws { try await base.delete(key, ifMatch: nil) }
}

/// A store whose answers say its clock is `clockOffset` seconds ahead of this host's.
struct ClockOffsetStore: ForwardingStore {
    let base: any ObjectStore
    let clockOffset: TimeInterval
    var forwardee: any ObjectStore { base }
}
