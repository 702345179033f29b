import Foundation
import Layout
import TimeText
import StoreLock
import StoreMetadata

/// Stage 1 of `verify`, from the listing and the manifests alone: manifests parse, the run chain is
/// sound, every named object and companion is present with the recorded size, partitions are
/// covered without holes or overlaps apart from recorded gaps, and what no manifest names is reported.
/// Also chooses what stage 2 reads.
struct StructureCheck {
    var problems: [VerifyFinding] = []
    var warnings: [VerifyFinding] = []
    var notes: [String] = []
    /// What stage 2 reads of a store without manifests, partition by partition (with manifests,
    /// `RunTargets` reads them again, run by run).
    var targets: [[DataTarget]] = []

    /// What each manifest shows as it arrives: its own structure, the presence and sizes of its
    /// objects, what the continuity check needs of it. Taken then, so that verify of a million
    /// objects never holds every manifest at once.
    struct Arrivals {
        fileprivate struct Examined {
            var key: String
            var runId: RunID
            var previousRunId: RunID?
            var arrival: Int32
            /// In the order found; a warning becomes a problem under `--strict`.
            var findings: [(warning: Bool, finding: VerifyFinding)] = []
            var missing: [(tp: TopicPartition, object: ManifestObject)] = []
        }

        let layout: StoreLayout
        /// False when stage 2 will not run (`--structure-only`): only then is the usual object judged
        /// without a copy, as nothing about it need be counted.
        let countTargets: Bool
        fileprivate var examined: [Examined] = []
        fileprivate var coverage = CoverageCollector()
        fileprivate var clusters = SourceClusters()
        /// Objects the manifests name (but prune removed), each looked up in the listing.
        private(set) var objectsNamed = 0
        /// What stage 2 will read (`RunTargets` finds the same targets again): data objects, their
        /// listed bytes, and their companions, of which those with a recorded checksum.
        private(set) var targetCount = 0
        private(set) var targetBytes: Int64 = 0
        private(set) var companionCount = 0
        private(set) var checkedCompanionCount = 0

        init(layout: StoreLayout, countTargets: Bool) {
            self.layout = layout
            self.countTargets = countTargets
        }

        mutating func add(_ run: StoreContents.Run, listed: ListedObjects, places: ListedPlaces, firstOffsets: [TopicPartition: Int64]) {
            let manifest = run.manifest
            clusters.add(manifest)
            var examined = Examined(
                key: run.key, runId: manifest.runId, previousRunId: manifest.previousRunId,
                arrival: coverage.add(manifest, places: places))
            func problem(_ subject: String, _ message: String) {
                examined.findings.append((false, VerifyFinding(.structure, subject, message)))
            }
            func warning(_ subject: String, _ message: String) {
                examined.findings.append((true, VerifyFinding(.structure, subject, message)))
            }
            let subject = "run \(manifest.runId)"
            for text in manifest.structuralProblems(prefix: layout.prefix) {
                let own = "run \(manifest.runId): "
                problem(subject, text.hasPrefix(own) ? String(text.dropFirst(own.count)) : text)
            }
            if manifest.store.topicsDir == layout.topicsDir {
                for position in manifest.objects.indices {
                    let size = places[position].map(listed.size(at:))
                    // Pruned partitions are looked up only when there are some: a hash per object adds up.
                    let first =
                        firstOffsets.isEmpty
                        ? 0 : firstOffsets[TopicPartition(manifest.objects[position].topic, manifest.objects[position].partition)] ?? 0
                    if manifest.objects[position].spanEnd > first { objectsNamed += 1 }
                    // The usual object (kept, listed at its size, nothing beside it) is judged without a copy.
                    if !countTargets, let size, size == manifest.objects[position].byteSize,
                        manifest.objects[position].companionKeys.isEmpty, manifest.objects[position].spanEnd > first
                    {
                        continue
                    }
                    let object = manifest.objects[position]
                    if object.spanEnd <= first {
                        if size != nil {
                            warning(
                                object.key,
                                "was pruned (below offset \(first) of \(object.topic)/\(object.partition)) but is still here: "
                                    + "a prune stopped before deleting it (or one is deleting it now); run ktape prune again")
                        }
                        continue
                    }
                    guard let size else {
                        examined.missing.append((TopicPartition(object.topic, object.partition), object))
                        continue
                    }
                    let (found, target) = StructureCheck.presence(
                        of: object, size: size, run: manifest.runId, listed: listed, layout: layout, target: countTargets)
                    examined.findings += found.map { (false, $0) }
                    if let target {
                        targetCount += 1
                        targetBytes += size
                        companionCount += target.companionKeys.count
                        checkedCompanionCount += target.companionKeys.filter { object.companionChecksum(of: $0) != nil }.count
                    }
                }
            } else if let mismatch = manifest.topicsDirMismatch(layout) {
                problem(subject, mismatch)
            }
            self.examined.append(examined)
        }
    }

    /// The check of `contents`, whose manifests were each examined on arrival into `arrivals`.
    init(_ contents: StoreContents, arrivals: Arrivals, traces: BackupTraces, strict: Bool) {
        var missing: [TopicPartition: [(object: ManifestObject, run: RunID)]] = [:]
        func problem(_ subject: String, _ message: String) { problems.append(VerifyFinding(.structure, subject, message)) }
        func warning(_ subject: String, _ message: String) {
            let finding = VerifyFinding(.structure, subject, message)
            if strict { problems.append(finding) } else { warnings.append(finding) }
        }
        let layout = contents.layout
        // Every run the index names wrote its manifest first; `present` are the manifests found and
        // `reported` the missing ones the run chain already names.
        func indexedRunsWithoutManifests(present: Set<RunID>, reported: Set<RunID>) {
            guard let index = traces.index else { return }
            let landed = index.runs.filter { traces.landedSinceListing.contains($0) && !present.contains($0) }
            if !landed.isEmpty {
                notes.append(
                    "\(VerifyReport.count(landed.count, "run")) (\(landed.map(\.rawValue).joined(separator: ", "))) finished while verify ran: not checked"
                )
            }
            if !present.isEmpty, !index.runs.isEmpty, !index.runs.contains(where: present.contains) {
                problem(layout.indexKey, IndexOfAnotherStore.message(index: layout.indexKey, manifests: present.count))
                return
            }
            for run in index.runs where !present.contains(run) && !reported.contains(run) && !traces.landedSinceListing.contains(run) {
                problem(
                    "run \(run)",
                    "the store index \(layout.indexKey) names it\(run == index.lastRunId ? " (its newest run)" : ""), "
                        + "but its manifest \(layout.runManifestKey(run)) is missing: lost, or left out of a copy taken as the run "
                        + "finished; its objects are named by no manifest")
            }
        }
        if let bad = traces.unreadableIndex {
            warning(
                layout.indexKey,
                "unreadable store index: \(bad.reason); backups stop on it until it is removed (the next one folds it again from the manifests)"
            )
        }

        if let bad = traces.unreadableStoreLock {
            warning(layout.storeLockKey, "unreadable lock: \(bad.reason); backups and prunes stop on it until it is mended")
        }
        let now = Date()
        for lease in traces.storeLock?.leases ?? [] {
            // A copy carries the leases of the runs writing as it was taken: what explains its orphans.
            let text: String
            if lease.isExpired(at: now) {
                text =
                    "\(layout.storeLockKey) holds the lease of \(lease.summary), expired at \(Timestamps.rfc3339(lease.expiresAt)) "
                    + "and never given up (the run was killed): the next backup or prune takes it over"
            } else if LockHolder.isGone(lease.holder) {
                text =
                    "\(layout.storeLockKey) holds the lease of \(lease.summary) until \(Timestamps.rfc3339(lease.expiresAt)), "
                    + "whose process of this host is gone (the run was killed): the next backup or prune takes it over"
            } else {
                text =
                    "\(layout.storeLockKey) holds the lease of \(lease.summary) until \(Timestamps.rfc3339(lease.expiresAt)): "
                    + "it is writing into the store now, or this is a copy taken while it was; what it wrote so far is named "
                    + "by no manifest until it finishes"
            }
            notes.append(text)
        }

        for key in contents.strayRunKeys { warning(key, "is in the runs folder but is not named <run id>.json") }
        for rejected in contents.index.rejected {
            warning(rejected.key, "is under the topics dir but outside ktape's layout: \(rejected.reason)")
        }

        guard contents.hasManifests else {
            // Placeholders of killed runs, the only manifests such a store may hold, are present.
            let placeholders = Set(contents.runs.map(\.manifest.runId))
            let evidence = traces.unfinishedBackupEvidence(in: contents)
            if contents.index.partitions.isEmpty && evidence == nil {
                problem(
                    contents.location,
                    "no ktape manifests and no data objects under \(layout.topicsFolder): nothing to verify "
                        + "(check --store, its prefix and --topics-dir)")
                indexedRunsWithoutManifests(present: placeholders, reported: [])
                return
            }
            if let evidence {
                problem(
                    contents.location,
                    "ktape's own objects or metadata (\(evidence)) but no run manifest in \(layout.runsFolder): "
                        + "a backup that has not finished (still running, killed, or copied before it wrote its manifest), "
                        + "so nothing here is known to be whole; verify again once a backup has finished")
                indexedRunsWithoutManifests(present: placeholders, reported: [])
            }
            // With --structure-only nothing is read, so the note must not promise the decoding.
            let checked =
                arrivals.countTargets
                ? "every object is read and decoded, but"
                : "only reading and decoding the objects checks them, which --structure-only leaves out;"
            notes.append(
                "no manifests: \(checked) sizes and checksums need manifests"
                    + (evidence == nil ? " (a Confluent sink's bucket has none)" : ""))
            for key in contents.index.orphanCompanions { warning(key, "is a companion with no data object beside it") }
            guard arrivals.countTargets else { return }
            targets = contents.index.partitions.keys.sorted().map { tp in
                contents.index.entries(topic: tp.topic, partition: tp.partition).map {
                    DataTarget(key: $0.key, name: $0.object, expected: nil, runId: nil, companionKeys: $0.companionKeys, folder: $0.folder)
                }
            }
            return
        }

        for bad in contents.unreadableManifests { problem(bad.manifest, "unreadable \(bad.noun): \(bad.reason)") }
        if !contents.unreadableManifests.isEmpty {
            // What they would have said is unknown here: the offsets they cover read as uncovered, their
            // objects as named by no manifest, pruned objects as missing.
            notes.append(
                "read without \(contents.unreadableManifests.map(\.manifest).joined(separator: ", ")): problems and warnings of coverage, "
                    + "missing offsets and objects named by no manifest may follow from \(contents.unreadableManifests.count == 1 ? "it" : "them"); "
                    + "mend \(contents.unreadableManifests.count == 1 ? "it" : "them") first (a restore refuses the store until then)")
        }
        let unreadableIDs = Set(contents.unreadableManifests.compactMap { layout.runID(fromKey: $0.manifest) })
        let runIDs = Set(arrivals.examined.map(\.runId))

        let ordered = arrivals.examined.sorted { ($0.runId, $0.key) < ($1.runId, $1.key) }
        var rank = [Int](repeating: 0, count: Int(arrivals.coverage.arrivals))
        var missingPrevious = Set<RunID>()
        for (place, run) in ordered.enumerated() {
            rank[Int(run.arrival)] = place
            if run.key != layout.runManifestKey(run.runId) {
                problem(run.key, "holds run \(run.runId), whose manifest belongs at \(layout.runManifestKey(run.runId))")
            }
            if let previous = run.previousRunId, !runIDs.contains(previous) {
                let state = unreadableIDs.contains(previous) ? "is unreadable" : "is missing"
                missingPrevious.insert(previous)
                problem("run \(run.runId)", "names previous run \(previous), whose manifest \(layout.runManifestKey(previous)) \(state)")
            }
            for (isWarning, finding) in run.findings {
                if isWarning && !strict { warnings.append(finding) } else { problems.append(finding) }
            }
            for (tp, object) in run.missing { missing[tp, default: []].append((object, run.runId)) }
        }
        indexedRunsWithoutManifests(present: runIDs.union(unreadableIDs), reported: missingPrevious)
        for conflict in arrivals.clusters.conflicts { problem("topic \(conflict.topic)", conflict.message) }
        for range in MissingRange.group(missing) {
            problem(range.objects[0].object.key, range.description)
        }
        if !contents.pruned.partitions.isEmpty {
            notes.append(
                "\(VerifyReport.count(contents.pruned.partitions.count, "partition")) pruned: their offsets below the first kept "
                    + "are gone on purpose (ktape prune; ls shows where each starts)")
        }

        for coverage in arrivals.coverage.problems(rank: rank, firstOffsets: contents.pruned.firstOffsets, listed: contents.listed) {
            problem("\(coverage.topic)/\(coverage.partition)", "offsets \(coverage.range): \(coverage.kind.label): \(coverage.detail)")
        }
        for key in contents.orphanKeys {
            warning(
                key,
                "no manifest names this object (left by a killed backup and not overwritten by a rerun, or copied in; prune deletes it once it is below the first kept offset)"
            )
        }
    }

    /// Stage 2's target for `object` of run `run`, judged as stage 1 judged it: none for an object
    /// pruned (below `first`), missing, of another size than recorded, or whose key does not parse.
    static func target(
        of object: ManifestObject, run: RunID, first: Int64, listed: ListedObjects, layout: StoreLayout
    ) -> DataTarget? {
        guard object.spanEnd > first, let size = listed.size(of: object.key) else { return nil }
        return presence(of: object, size: size, run: run, listed: listed, layout: layout, target: true).1
    }

    /// Problems with a listed object's size (`size`, as listed) and its companions' presence, and
    /// the stage 2 target when it is worth reading.
    private static func presence(
        of object: ManifestObject, size: Int64, run: RunID,
        listed: ListedObjects, layout: StoreLayout, target: Bool
    ) -> ([VerifyFinding], DataTarget?) {
        var problems: [VerifyFinding] = []
        func problem(_ subject: String, _ message: String) { problems.append(VerifyFinding(.structure, subject, message)) }
        if size != object.byteSize {
            problem(object.key, "is \(size) bytes, run \(run) recorded \(object.byteSize)")
        }
        var companions: [String] = []
        for companion in object.companionKeys {
            guard let listedSize = listed.size(of: companion) else {
                problem(companion, "is missing (a companion of \(object.key), named by run \(run))")
                continue
            }
            // (None recorded when the manifest's count disagrees: its own structural problem.)
            if let recorded = object.companionChecksum(of: companion), listedSize != ListedObjects.unknownSize,
                listedSize != recorded.byteSize
            {
                // As for a data object: one line, none more from reading it in stage 2.
                problem(companion, "is \(listedSize) bytes, run \(run) recorded \(recorded.byteSize)")
                continue
            }
            companions.append(companion)
        }
        // An object whose size is already wrong gets no second line from stage 2; nor one that does not parse.
        guard target, size == object.byteSize, let name = try? layout.objectKey(parsing: object.key) else {
            return (problems, nil)
        }
        return (problems, DataTarget(key: object.key, name: name, expected: object, runId: run, companionKeys: companions))
    }
}
