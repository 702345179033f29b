import Layout

/// Which of a partition's planned records its target already holds, as a resumed restore streams
/// them. Normally the first `tail.count`. In a partition pruned since the restore began, the plan
/// starts later than the restore did: then the records below the state's `nextSourceOffset` are
/// held (delivered, some since pruned), and so are the first `tail.count - deliveredRecords` after
/// it (delivered, not yet confirmed); the pruned ones shift the target offsets by `shift`.
struct HeldRecords {
    let tailCount: Int64
    private let delivered: Int64
    private let next: Int64
    /// By `nextSourceOffset` (pruned) rather than by count.
    let byOffset: Bool
    /// Planned records seen below `next`, and held ones at or after it.
    private var below: Int64 = 0
    private var heldAfter: Int64 = 0

    init(state: RestoreResumeState, tail: TargetTail, pruned: Bool) {
        tailCount = tail.count
        delivered = state.deliveredRecords
        next = state.nextSourceOffset
        byOffset = pruned && tail.count > 0
    }

    /// A restore that had not got past what a prune removed cannot resume: those records are gone.
    /// `stateDocument` names where the partition's resume state is kept.
    static func lostToPrune(_ state: RestoreResumeState, tail: TargetTail, partition: PartitionPlan, stateDocument: String) -> String? {
        guard let through = partition.prunedThrough, through >= state.nextSourceOffset else { return nil }
        guard tail.count > 0 else {
            // Begun but not reached (a target emptied since is caught as deleted): going on would
            // restore the partition from after the pruned records as if that were where it starts.
            guard state.deliveredRecords == 0 else { return nil }
            return
                "\(partition.source): ktape prune removed offsets \(state.nextSourceOffset)…\(through) from the store after this restore began and before it restored any of them into \(partition.target), so what is left would be restored without them; to restore only what the store still holds, remove partition \(partition.target.partition)'s entry from \(stateDocument) (or restore from a copy made before the prune)"
        }
        if state.deliveredRecords == 0 {
            // Killed before its state confirmed anything: the target's records cannot be placed in a
            // source whose first offsets are gone.
            return
                "\(partition.source): \(partition.target) holds \(tail.count) records of this restore, which its state does not place (the run was stopped before it confirmed any), and ktape prune has since removed offsets up to \(through) from the store, so where to go on cannot be told; restore into an empty topic (or from a copy made before the prune)"
        }
        let unconfirmed = tail.count - state.deliveredRecords
        let held =
            unconfirmed > 0
            ? ", and its target holds \(unconfirmed) records past that which the state cannot place among the pruned ones" : ""
        return
            "\(partition.source): ktape prune removed offsets \(state.nextSourceOffset)…\(through) from the store after this restore had confirmed the partition up to offset \(state.nextSourceOffset - 1) into \(partition.target)\(held), so the rest cannot be restored in order from this store; restore into an empty topic (or from a copy made before the prune)"
    }

    /// Whether prune emptied `away` after this restore began and before it confirmed what was pruned.
    static func isCutOff(_ away: PrunedAway, state: RestoreResumeState) -> Bool {
        state.sourceTopic == away.sourceTopic && away.through >= state.nextSourceOffset
    }

    /// A partition prune emptied after this restore began and before it restored what was pruned
    /// (its state's next offset is at or below the last one pruned): going on would leave it out.
    /// `targetEnd`, where known, tells a target holding records the state did not confirm: those
    /// cannot be placed, and leaving the partition out would commit a group past them.
    static func lostWhole(_ away: PrunedAway, state: RestoreResumeState, targetEnd: Int64?, stateDocument: String) -> String? {
        guard isCutOff(away, state: state) else { return nil }
        let source = "\(away.sourceTopic)/\(away.target.partition)"
        let unconfirmed = (targetEnd ?? 0) - state.baseTargetOffset - state.deliveredRecords
        if unconfirmed > 0 {
            return
                "\(source): \(away.target) holds \(unconfirmed) records past the \(state.deliveredRecords) this restore's state confirmed, and ktape prune has since removed every object of the partition (offsets up to \(away.through)), so where they belong in it cannot be told; restore into an empty topic (or from a copy made before the prune)"
        }
        let kept =
            state.deliveredRecords > 0
            ? " (the \(state.deliveredRecords) records it restored stay, and a consumer group's offset in \(away.target) is then committed at its end)"
            : ""
        return
            "\(source): ktape prune removed every object of the partition (offsets up to \(away.through)) after this restore began and before it restored offsets \(state.nextSourceOffset)…\(away.through) into \(away.target), so the partition would be left out; to restore only what the store still holds, remove partition \(away.target.partition)'s entry from \(stateDocument)\(kept) (or restore from a copy made before the prune)"
    }

    /// The planned records of `partition` a rerun would produce, from the manifests alone (a dry
    /// run's count): by count, those past what the target holds; in a pruned partition, those from
    /// the state's next offset on, less the ones delivered there unconfirmed. Nil when the manifests
    /// cannot tell (a sparse object straddles the next offset, or a listed store).
    static func toProduce(_ partition: PartitionPlan, state: RestoreResumeState?, tail: TargetTail?) -> Int64? {
        guard let records = partition.records else { return nil }
        guard let state, let tail, tail.count > 0 else { return records }
        guard partition.prunedThrough != nil else { return max(0, records - tail.count) }
        let next = state.nextSourceOffset
        var after: Int64 = 0
        for object in partition.objects {
            guard let recorded = object.manifest else { return nil }
            if recorded.firstOffset >= next {
                after += recorded.recordCount
            } else if recorded.lastOffset >= next {
                // Straddling: only a dense object (no offset missing) says how many lie past `next`.
                guard recorded.recordCount == recorded.lastOffset - recorded.firstOffset + 1 else { return nil }
                after += recorded.lastOffset - next + 1
            }
        }
        return max(0, after - (tail.count - state.deliveredRecords))
    }

    /// How many leading objects of a resumed partition hold only records its target holds, short of
    /// the object with the last of them (compared with the target's last record or, by offset, the
    /// last below `next`), and their records: a rerun does not read them again, so neither a long
    /// restore's rerun nor a prune removing them meanwhile waits on them. None where the manifests do
    /// not give every count and checksum, or something else needs the records (a time range counts
    /// only those in range, a group offset is translated from them, a damaged object's entry is
    /// checked on them).
    static func leadingObjects(
        _ partition: PartitionPlan, state: RestoreResumeState, tail: TargetTail, recordsNeeded: Bool
    ) -> (objects: Int, records: Int64) {
        guard tail.count > 0, !recordsNeeded, state.damaged == nil else { return (0, 0) }
        let objects = partition.objects
        var (count, records): (Int, Int64) = (0, 0)
        // Only an object with a checksum: one without was not proved whole when its records went (a
        // count short of its lines is found only by reading it, and a rerun must meet that again).
        while count + 1 < objects.count, let this = objects[count].manifest, this.hasReadableChecksum,
            let following = objects[count + 1].manifest
        {
            let held =
                partition.prunedThrough == nil
                ? records + this.recordCount < tail.count
                : following.firstOffset < state.nextSourceOffset
            guard held else { break }
            records += this.recordCount
            count += 1
        }
        return (count, records)
    }

    /// The first `count` planned records are held and not read (`leadingObjects`): by offset, all below `next`.
    mutating func skipped(_ count: Int64) {
        if byOffset { below += count }
    }

    /// Whether planned record number `index` (among the restorable ones), at source `offset`, is held.
    mutating func isHeld(index: Int64, offset: Int64) -> Bool {
        guard byOffset else { return index < tailCount }
        if offset < next {
            below += 1
            return true
        }
        if heldAfter < tailCount - delivered {
            heldAfter += 1
            return true
        }
        return false
    }

    /// Whether the record just found held is the target's last, as far as can be told now: by
    /// count, the one at `tailCount - 1`; by offset, the last unconfirmed one. With none
    /// unconfirmed, the target's last is the last planned record below `next` (see `mayBeLastBelowNext`).
    func isTargetsLast(index: Int64, offset: Int64) -> Bool {
        guard byOffset else { return index == tailCount - 1 }
        return offset >= next && heldAfter == tailCount - delivered
    }

    /// By offset with nothing unconfirmed: record `i` of a batch is the last planned one below
    /// `next` when the batch's next record is not (or it ends the batch: kept until the next batch says).
    func mayBeLastBelowNext(offset: Int64, following: Int64?) -> Bool {
        byOffset && tailCount == delivered && offset < next && (following.map { $0 >= next } ?? true)
    }

    /// Records the target holds before the plan's first (pruned since), once every record is seen.
    var shift: Int64 { byOffset ? delivered - below : 0 }

    /// After the last planned record: whether what the target holds agrees with the `planned` records.
    func accountsForTarget(planned: Int64) -> Bool {
        byOffset ? heldAfter == tailCount - delivered && shift >= 0 : planned >= tailCount
    }
}
