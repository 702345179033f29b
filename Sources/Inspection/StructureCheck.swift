import Layout

/// Stage 1 of `verify`, from the listing and the manifests alone: manifests parse, the run chain is
/// sound, every named object and companion is present with the recorded size, partitions are
/// covered without holes or overlaps apart from recorded gaps, and what no manifest names is reported.
/// Also chooses what stage 2 reads.
struct StructureCheck {
    var problems: [VerifyFinding] = []
    var warnings: [VerifyFinding] = []
    var notes: [String] = []
    var targets: [DataTarget] = []

    /// `collectTargets`: false when stage 2 will not run (`--structure-only`): a target per object of
    /// a million-object store held a third of the run's memory for nothing.
    init(_ contents: StoreContents, strict: Bool, collectTargets: Bool = true) {
        var missing: [TopicPartition: [(object: ManifestObject, run: RunID)]] = [:]
        func problem(_ subject: String, _ message: String) { problems.append(VerifyFinding(.structure, subject, message)) }
        func warning(_ subject: String, _ message: String) {
            let finding = VerifyFinding(.structure, subject, message)
            if strict { problems.append(finding) } else { warnings.append(finding) }
        }
        let layout = contents.layout

        for key in contents.strayRunKeys { warning(key, "is in the runs folder but is not named <run id>.json") }
        for rejected in contents.index.rejected {
            warning(rejected.key, "is under the topics dir but outside ktape's layout: \(rejected.reason)")
        }

        guard contents.hasManifests else {
            if contents.index.partitions.isEmpty {
                problem(
                    contents.location,
                    "no ktape manifests and no data objects under \(layout.topicsFolder): nothing to verify "
                        + "(check --store, its prefix and --topics-dir)")
                return
            }
            notes.append(
                "no manifests: every object is read and decoded, but sizes and checksums need manifests "
                    + "(a Confluent sink's bucket has none)")
            for key in contents.index.orphanCompanions { warning(key, "is a companion with no data object beside it") }
            guard collectTargets else { return }
            targets = contents.index.partitions.keys.sorted().flatMap { tp in
                contents.index.entries(topic: tp.topic, partition: tp.partition).map {
                    DataTarget(key: $0.key, name: $0.object, expected: nil, runId: nil, companionKeys: $0.companionKeys, folder: $0.folder)
                }
            }
            return
        }

        for bad in contents.unreadableManifests { problem(bad.manifest, "unreadable manifest: \(bad.reason)") }
        let unreadableIDs = Set(contents.unreadableManifests.compactMap { layout.runID(fromKey: $0.manifest) })
        let runIDs = Set(contents.runs.map(\.manifest.runId))

        for run in contents.runs {
            let manifest = run.manifest
            let subject = "run \(manifest.runId)"
            if run.key != layout.runManifestKey(manifest.runId) {
                problem(run.key, "holds run \(manifest.runId), whose manifest belongs at \(layout.runManifestKey(manifest.runId))")
            }
            if let previous = manifest.previousRunId, !runIDs.contains(previous) {
                let state = unreadableIDs.contains(previous) ? "is unreadable" : "is missing"
                problem(subject, "names previous run \(previous), whose manifest \(layout.runManifestKey(previous)) \(state)")
            }
            for text in manifest.structuralProblems(prefix: layout.prefix) {
                let own = "run \(manifest.runId): "
                problem(subject, text.hasPrefix(own) ? String(text.dropFirst(own.count)) : text)
            }
            guard manifest.store.topicsDir == layout.topicsDir else {
                problem(
                    subject,
                    "wrote its objects under topics dir '\(manifest.store.topicsDir)', not '\(layout.topicsDir)'; "
                        + "pass --topics-dir \(manifest.store.topicsDir)")
                continue
            }
            for object in manifest.objects {
                if contents.isPruned(object) {
                    if contents.sizes[object.key] != nil {
                        warning(
                            object.key,
                            "was pruned (below offset \(contents.pruned.firstOffset(topic: object.topic, partition: object.partition)) of "
                                + "\(object.topic)/\(object.partition)) but is still here: a prune stopped before deleting it; run ktape prune again"
                        )
                    }
                    continue
                }
                guard contents.sizes[object.key] != nil else {
                    missing[TopicPartition(object.topic, object.partition), default: []].append((object, manifest.runId))
                    continue
                }
                let (found, target) = Self.presence(of: object, run: manifest.runId, contents: contents, target: collectTargets)
                problems += found
                if let target { targets.append(target) }
            }
        }
        for range in MissingRange.group(missing) {
            problem(range.objects[0].object.key, range.description)
        }
        if !contents.pruned.partitions.isEmpty {
            notes.append(
                "\(VerifyReport.count(contents.pruned.partitions.count, "partition")) pruned: their offsets below the first kept "
                    + "are gone on purpose (ktape prune; ls shows where each starts)")
        }

        for coverage in contents.manifests.continuityProblems(firstOffsets: contents.pruned.firstOffsets) {
            problem("\(coverage.topic)/\(coverage.partition)", "offsets \(coverage.range): \(coverage.kind.rawValue): \(coverage.detail)")
        }
        for key in contents.orphanKeys {
            warning(key, "no manifest names this object (left by a killed run that was never rerun, or copied in)")
        }
    }

    /// Problems with one named object's presence and size, and the stage 2 target when it is worth reading.
    private static func presence(
        of object: ManifestObject, run: RunID,
        contents: StoreContents, target: Bool
    ) -> ([VerifyFinding], DataTarget?) {
        var problems: [VerifyFinding] = []
        func problem(_ subject: String, _ message: String) { problems.append(VerifyFinding(.structure, subject, message)) }
        guard let size = contents.sizes[object.key] else {
            problem(object.key, "is missing (named by run \(run))")
            return (problems, nil)
        }
        if size != object.byteSize {
            problem(object.key, "is \(size) bytes, run \(run) recorded \(object.byteSize)")
        }
        var companions: [String] = []
        for companion in object.companionKeys {
            if contents.sizes[companion] == nil {
                problem(companion, "is missing (a companion of \(object.key), named by run \(run))")
            } else {
                companions.append(companion)
            }
        }
        // An object whose size is already wrong gets no second line from stage 2; nor one that does not parse.
        guard target, size == object.byteSize, let name = try? contents.layout.objectKey(parsing: object.key) else {
            return (problems, nil)
        }
        return (problems, DataTarget(key: object.key, name: name, expected: object, runId: run, companionKeys: companions))
    }
}
