import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock
import StoreMetadata
import Threads
import TimeText

/// `ktape prune`: removes whole objects from the oldest end of each partition whose every record is
/// older than the cutoff, never leaving a hole, and records each partition's new first offset in
/// `_ktape/pruned.json` BEFORE deleting anything: a prune killed at any point leaves a store that
/// verify passes and restore reads, and its rerun deletes what is left. It holds a lease on the
/// topics it prunes in the store lock, so it never runs beside a backup of them.
public enum PruneEngine {
    public static func run(_ request: PruneRequest) async throws -> PruneSummary {
        let started = request.clock()
        let cutoff = request.settings.cutoff.value.milliseconds(now: started)
        let pruneId = request.pruneId ?? "\(RunID.compactTimestamp(started))-prune-\(RunID.hex(UInt32.random(in: .min ... .max)))"
        // The topics to claim come from the index (one read); the manifests are read once the lease is held.
        let held = try await call("read the store index") { try await storeTopics(request) }
        // A misspelt name would otherwise prune nothing without a word (a regex may match none).
        let unheld = (request.settings.topics?.value ?? []).filter { !held.contains($0) }
        if !unheld.isEmpty {
            request.warn(
                "--topics \(unheld.joined(separator: ",")): the store holds no record of \(unheld.count == 1 ? "it" : "them"), so nothing of \(unheld.count == 1 ? "it" : "them") is pruned (the store's topics: \(held.isEmpty ? "none" : held.joined(separator: ", ")))"
            )
        }
        let topics = held.filter(request.settings.selects(topic:))
        guard !topics.isEmpty else {
            return PruneSummary(
                pruneId: pruneId, dryRun: request.settings.dryRun.value, cutoff: cutoff, partitions: [],
                seconds: request.clock().timeIntervalSince(started))
        }
        let lock = request.settings.dryRun.value ? nil : lease(request, pruneId: pruneId, topics: topics)
        if let lock { try await acquire(lock, request) }
        do {
            // Only the topics claimed: a backup may have added others since the index was read.
            let claimed = Set(topics)
            let summary = try await pruneLocked(
                request, pruneId: pruneId, cutoff: cutoff, started: started, selects: { claimed.contains($0) })
            if let lock, await !lock.release() { request.warn("prune \(pruneId) \(lock.leftBehind)") }
            return summary
        } catch {
            await lock?.release()
            throw error
        }
    }

    private static func pruneLocked(
        _ request: PruneRequest, pruneId: String, cutoff: Int64, started: Date, selects: @escaping @Sendable (String) -> Bool
    ) async throws -> PruneSummary {
        let store = request.store
        let layout = request.layout
        if !request.settings.dryRun.value {
            // A killed prune's temp files (a directory store's) would otherwise wait for the next backup.
            let removed = try await call("remove temp files") { try await store.removeAbandonedWrites() }
            if removed > 0 { request.warn("removed \(removed) temp files that killed runs left in the store") }
        }
        let pruned = try await call("read \(layout.prunedKey)") { try await PrunedStateKeeper.read(store: store, layout: layout) }
        let firstOffsets = pruned.partitions.filter { selects($0.topic) }.map { (TopicPartition($0.topic, $0.partition), $0.firstOffset) }
        let leftBehind = try await call("list what earlier prunes left") { try await keys(request, below: firstOffsets) }
        let stillThere = Set(leftBehind.values.joined())
        // The first pass gathers every candidate while they fit in one pass, and counts them by partition.
        let firstKept = pruned.firstOffsets
        let limit = request.candidatesPerPass
        var gathered: PrunePlanner.Candidates? = [:]
        var held = 0
        var counts = Dictionary(firstOffsets.map { ($0.0, 0) }, uniquingKeysWith: { a, _ in a })
        var coveredEnds: [TopicPartition: Int64] = [:]
        var newestRecord: Int64?
        let inTopics = { (tp: TopicPartition) in selects(tp.topic) }
        try await call("read run manifests") {
            try await ManifestHistory.forEach(store: store, layout: layout) { manifest in
                // The objects listed below first kept offsets would be another writer's, not leftovers.
                if let mismatch = manifest.topicsDirMismatch(layout) {
                    throw RunFailure.invalidInput("run \(manifest.runId) \(mismatch); nothing was deleted")
                }
                PrunePlanner.forEachCandidate(in: manifest, firstOffsets: firstKept, selects: inTopics, stillThere: stillThere) {
                    tp, candidate in
                    counts[tp, default: 0] += 1
                    newestRecord = max(newestRecord ?? candidate.newest, candidate.newest)
                    guard gathered != nil else { return }
                    held += 1
                    if held > limit { gathered = nil } else { gathered?[tp, default: []].append(candidate) }
                }
                for covered in manifest.partitions {
                    let tp = TopicPartition(covered.topic, covered.partition)
                    coveredEnds[tp] = max(coveredEnds[tp] ?? 0, covered.endOffset)
                }
            }
        }
        if let failure = Self.cutoffPastTheNewestRecord(request, cutoff: cutoff, started: started, newest: newestRecord) {
            throw failure
        }
        // Everything below a first kept offset is deleted as a leftover: one past what the runs
        // covered (no prune writes that) would take the partition's every object.
        for (tp, first) in firstOffsets where first > coveredEnds[tp] ?? 0 {
            throw RunFailure.invalidInput(
                "prune record \(layout.prunedKey): \(tp) starts at offset \(first), past the end \(coveredEnds[tp] ?? 0) the store's runs covered: the record is damaged (or another store's), and this prune would delete every object of the partition; nothing was deleted (put back the record from a copy, or its entry for \(tp))"
            )
        }
        let selectedTopics = Set(counts.keys.map(\.topic))
        var restores = try await call("read the restores' states") {
            try await RestoresBehind.read(store: store, layout: layout, topics: selectedTopics, warn: request.warn)
        }
        var summary = PruneSummary(
            pruneId: pruneId, dryRun: request.settings.dryRun.value, cutoff: cutoff, partitions: [], seconds: 0)
        let groups = gathered == nil ? PrunePlanner.groups(counts, limit: limit) : [counts.keys.sorted()]
        for group in groups {
            try stop(request)
            let members = Set(group)
            var candidates = gathered ?? [:]
            if gathered == nil {
                try await call("read run manifests") {
                    try await ManifestHistory.forEach(store: store, layout: layout) { manifest in
                        PrunePlanner.gather(
                            manifest, into: &candidates, firstOffsets: firstKept, selects: members.contains, stillThere: stillThere)
                    }
                }
            }
            let leftovers = Set(group.flatMap { leftBehind[$0] ?? [] })
            try await pruneGroup(
                request, candidates: candidates, pruned: pruned, stillThere: leftovers, cutoff: cutoff, pruneId: pruneId,
                started: started, restores: &restores, into: &summary)
        }
        for line in restores.lines(dryRun: request.settings.dryRun.value) { request.warn(line) }
        summary.seconds = request.clock().timeIntervalSince(started)
        return summary
    }

    /// Plans, records and deletes the prune of the partitions of `candidates` (with `stillThere`, the
    /// keys a killed prune left below their first offsets), adding what it did to `summary`.
    private static func pruneGroup(
        _ request: PruneRequest, candidates: PrunePlanner.Candidates, pruned: PrunedState, stillThere: Set<String>,
        cutoff: Int64, pruneId: String, started: Date, restores: inout RestoresBehind, into summary: inout PruneSummary
    ) async throws {
        let store = request.store
        let layout = request.layout
        let now = request.clock()
        // A bucket without Object Lock holds no locked object: the first prune of a year removes
        // hundreds of thousands, a HEAD each otherwise.
        let lockable = await store.objectLockEnabled() != false
        let plans = try await call("plan") {
            try await PrunePlanner.plan(
                candidates: candidates, pruned: pruned, cutoff: cutoff,
                stillThere: stillThere,
                isLocked: { key in
                    try stop(request)
                    guard lockable else { return false }
                    do { return try await store.head(key).isLocked(at: now) } catch let error as StoreError where error.isNotFound {
                        return false
                    }
                })
        }
        // Below a first kept offset, objects no manifest names (a killed backup's, cut at another
        // flush size than its rerun's) are deleted too: restore and verify never read them.
        // (Every named object listed there is a candidate: those below the old first offsets are in
        // `stillThere`, and the rest end above them.)
        let named = Set(candidates.values.joined().flatMap(\.keys))
        // Those below the first offsets this prune moves up are found once it knows where they go.
        let moved = plans.filter { $0.newFirstOffset > $0.firstOffset }.map { (TopicPartition($0.topic, $0.partition), $0.newFirstOffset) }
        let belowMoved = try await call("list what is left below the new first offsets") {
            try await keys(request, below: moved, unless: named)
        }
        let orphans = stillThere.subtracting(named).union(belowMoved.values.joined()).sorted()
        restores.note(plans)
        let first = summary.partitions.count
        summary.partitions += plans.map(PruneSummary.Partition.init)
        // Objects, as `removed` counts them: an orphan companion goes with its data object, uncounted.
        let orphanObjects = orphans.count { key in
            (try? layout.objectKey(parsing: key)).map { $0.kind.content != .keys && $0.kind.content != .headers } ?? true
        }
        summary.leftovers += plans.reduce(orphanObjects) { $0 + $1.leftovers.count }
        if !request.settings.dryRun.value, !orphans.isEmpty {
            try stop(request)
            try await call("delete \(orphans.count) objects no manifest names below a first kept offset") {
                try await request.store.delete(keys: orphans)
            }
        }
        if !request.settings.dryRun.value, !plans.isEmpty {
            // First the record, then the deletes: what is recorded as pruned is never read again.
            let entries = plans.filter { $0.newFirstOffset > $0.firstOffset }.map { plan in
                PrunedState.Partition(
                    topic: plan.topic, partition: plan.partition, firstOffset: plan.newFirstOffset, prunedAt: started,
                    pruneId: pruneId, objects: Int64(plan.removed.count), records: plan.records, bytes: plan.bytes)
            }
            try stop(request)
            if !entries.isEmpty {
                try await call("record the prune in \(layout.prunedKey)") {
                    try await PrunedStateKeeper.record(entries, store: store, layout: layout, options: request.basePutOptions)
                }
            }
            for (index, plan) in plans.enumerated() {
                try stop(request)
                summary.partitions[first + index].keptLocked += try await delete(plan.leftovers + plan.removed, request)
            }
        }
    }

    /// `--keep-within` counts back from the host's clock: a clock stepped a year ahead (or backups
    /// that stopped longer ago than the window) put every record before the cutoff, and the prune
    /// took every object of the store. A cutoff after the newest record the prune considers (its
    /// time is Kafka's, not this host's) is refused; `--before` names a time outright and is taken
    /// as meant.
    private static func cutoffPastTheNewestRecord(_ request: PruneRequest, cutoff: Int64, started: Date, newest: Int64?) -> RunFailure? {
        guard case .keepWithin(let window) = request.settings.cutoff.value, let newest, cutoff > newest else { return nil }
        let seconds = Int(window)
        let keep =
            "--keep-within " + (seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : seconds % 3600 == 0 ? "\(seconds / 3600)h" : "\(seconds)s")
        func time(_ ms: Int64) -> String { Timestamps.rfc3339(Date(timeIntervalSince1970: Double(ms) / 1000)) }
        return RunFailure.invalidInput(
            "\(keep) counts back from now, \(Timestamps.rfc3339(started)) by this host's clock, to \(time(cutoff)), after the newest record the store holds of the topics pruned (\(time(newest))): every object would go. The clock is wrong, or no backup took a record within the window; nothing was deleted (to remove them even so, give --before TIME instead of --keep-within)"
        )
    }

    /// Deletes objects and their companions; those Object Lock keeps are returned, not failed on.
    private static func delete(_ objects: [PrunePlanner.Candidate], _ request: PruneRequest) async throws -> [String] {
        let keys = objects.flatMap(\.keys)
        guard !keys.isEmpty else { return [] }
        do {
            try await request.store.delete(keys: keys)
            return []
        } catch let error as StoreError where error.kind == .accessDenied {
            // Retention set after the plan looked: find which, one by one.
            var kept: [String] = []
            for key in keys {
                do { try await request.store.delete(key) } catch let error as StoreError where error.kind == .accessDenied {
                    kept.append(key)
                }
            }
            return kept
        } catch {
            throw RunFailure.failure(
                "delete \(keys[0]) and \(keys.count - 1) more: \(error); the prune is recorded, so a rerun deletes what is left")
        }
    }

    /// The listed keys of each partition below its offset (a killed prune's, or a killed backup's),
    /// but those in `unless`, from one short listing per partition: keys sort by offset, so the
    /// listing stops at the offset. (Held as listed, the first prune of a long history kept every key
    /// it was about to delete twice.)
    private static func keys(
        _ request: PruneRequest, below offsets: [(TopicPartition, Int64)], unless: Set<String> = []
    ) async throws -> [TopicPartition: Set<String>] {
        var found: [TopicPartition: Set<String>] = [:]
        for (tp, limit) in offsets {
            let folder = request.layout.partitionFolder(topic: tp.topic, partition: tp.partition)
            var token: String?
            pages: repeat {
                let page = try await request.store.list(prefix: folder, continuationToken: token)
                for object in page.objects {
                    guard let name = try? request.layout.objectKey(parsing: object.key) else { continue }
                    if name.startOffset >= limit { break pages }
                    if !unless.contains(object.key) { found[tp, default: []].insert(object.key) }
                }
                token = page.nextToken
            } while token != nil
        }
        return found
    }

    private static func storeTopics(_ request: PruneRequest) async throws -> [String] {
        if let index = try await IndexKeeper.read(store: request.store, layout: request.layout)?.index {
            return Array(Set(index.partitions.map(\.topic))).sorted()
        }
        let manifests = try await ManifestHistory.loadOutlines(store: request.store, layout: request.layout)
        return Array(Set(manifests.flatMap { $0.partitions.map(\.topic) })).sorted()
    }

    private static func lease(_ request: PruneRequest, pruneId: String, topics: [String]) -> LeaseKeeper {
        let now = request.clock()
        let lease = LeaseTable.Lease(
            runId: pruneId, command: "prune", job: request.job, holder: request.holder,
            claims: topics.map { LeaseTable.Claim(topic: $0) }, acquiredAt: now, expiresAt: now)
        // A killed backup's lease dropped here must be fenced as a backup would: the next backup,
        // finding no lease, would not wait for its late writes.
        let fence = KilledBackupFence(
            takerId: RunID(rawValue: pruneId), job: request.job ?? "prune", store: request.store, layout: request.layout,
            options: request.basePutOptions, grace: request.killedRunGrace, ownSettings: nil, clock: request.clock,
            stopped: { [stop = request.stop] in stop.reason != nil }, warn: request.warn)
        return LeaseKeeper(
            store: request.store, key: request.layout.storeLockKey, options: request.basePutOptions, lease: lease,
            seconds: request.lockLease, clock: request.clock, beforeDropping: { try await fence.close($0) },
            probe: request.layout.conditionalWriteProbeKey)
    }

    private static func acquire(_ lock: LeaseKeeper, _ request: PruneRequest) async throws {
        do {
            try await lock.acquire()
        } catch let error as LeaseError {
            throw RunFailure.failure("store \(request.layout.storeName(at: request.store.location)): \(error)")
        } catch {
            throw RunFailure.pruneWrap(error, "lock \(lock.key)")
        }
    }

    private static func stop(_ request: PruneRequest) throws {
        if let reason = request.stop.reason { throw RunFailure.pruneInterrupted(reason, dryRun: request.settings.dryRun.value) }
    }

    @discardableResult
    private static func call<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            throw RunFailure.pruneWrap(error, what)
        }
    }
}
