import Layout
import ObjectStore
import StoreMetadata

/// `ktape verify`, staged like restic's check: structure first (manifests, run chain, presence and
/// sizes, continuity, orphans), then data (every object read in full, `concurrency` at a time, or
/// with `storedChecksums` the checksums the store keeps compared without reading).
public struct StoreVerifier: Sendable {
    public let store: any ObjectStore
    public let layout: StoreLayout
    public let options: VerifyOptions

    public init(store: any ObjectStore, layout: StoreLayout, options: VerifyOptions = VerifyOptions()) {
        self.store = store
        self.layout = layout
        self.options = options
    }

    /// Runs both stages. Throws `InspectionError.store` only when the store cannot be listed or a
    /// manifest fetched; everything wrong inside the store is a finding in the report.
    public func run(progress: @escaping @Sendable (VerifyProgress) -> Void = { _ in }) async throws -> VerifyReport {
        var arrivals = StructureCheck.Arrivals(layout: layout, countTargets: options.readData)
        let contents = try await StoreContents.load(
            store: store, layout: layout, keepETags: options.storedChecksums, figures: false,
            examine: { arrivals.add($0, listed: $1, places: $2, firstOffsets: $3) })
        let listedRuns = Set(
            contents.runs.map(\.manifest.runId) + contents.unreadableManifests.compactMap { layout.runID(fromKey: $0.manifest) })
        let traces = try await BackupTraces.load(
            store: store, layout: layout, hasManifests: contents.hasManifests, listedRuns: listedRuns)
        let structure = StructureCheck(contents, arrivals: arrivals, traces: traces, strict: options.strict)
        var report = VerifyReport()
        report.runs = contents.runs.count
        report.problems = structure.problems
        report.warnings = structure.warnings
        report.notes = structure.notes
        guard options.readData else {
            report.objectsListed = arrivals.objectsNamed
            report.notes.append("data not read (structure only): checksums and records were not checked")
            return report
        }

        // With manifests, the targets are found again run by run, never all held at once.
        let hasManifests = contents.hasManifests
        let runTargets = RunTargets(store: store, contents: contents)
        func forEachBatch(_ body: ([DataTarget]) async throws -> Void) async throws {
            if hasManifests { try await runTargets.forEachBatch(body) } else { try await body(Array(structure.targets.joined())) }
        }
        if options.storedChecksums {
            let counts =
                hasManifests
                ? (objects: arrivals.targetCount, companions: arrivals.companionCount, checked: arrivals.checkedCompanionCount)
                : (structure.targets.reduce(0) { $0 + $1.count }, 0, 0)
            let compared = try await compareStoredChecksums(
                forEachBatch, counts: counts, contents: contents, report: report, progress: progress)
            return await leavingOutPrunedMeanwhile(compared, since: contents.pruned.firstOffsets)
        }
        let listedTargets = structure.targets.joined()
        var state = VerifyProgress(
            objectsDone: 0, objectsTotal: hasManifests ? arrivals.targetCount : structure.targets.reduce(0) { $0 + $1.count },
            bytesDone: 0,
            bytesTotal: hasManifests
                ? arrivals.targetBytes : listedTargets.reduce(0) { $0 + (contents.listed.size(of: $1.key) ?? 0) })
        progress(state)
        // Only what the report needs is kept per object (a result each held 1.4 KB: 324 MB at 200,000
        // objects); a store without manifests keeps its results for the overlap check.
        var found: [(key: String, findings: [VerifyFinding])] = []
        var listedResults: [DataCheckResult] = []
        let keepsResults = !hasManifests
        let store = self.store
        let chunkSize = options.chunkSize
        let concurrency = options.concurrency
        try await forEachBatch { targets in
            try await forEachConcurrently(
                targets, limit: concurrency,
                { target in
                    try await DataObjectCheck.run(target, store: store, chunkSize: chunkSize)
                },
                collect: { result in
                    if !result.findings.isEmpty { found.append((result.target.key, result.findings)) }
                    if keepsResults { listedResults.append(result) }
                    report.objectsChecked += 1
                    report.companionsChecked += result.companions
                    report.bytesRead += result.bytes
                    report.recordsChecked += result.records
                    state.objectsDone += 1
                    state.bytesDone += result.bytes
                    progress(state)
                })
        }

        // Completion order varies with concurrency; the report does not.
        found.sort { $0.key < $1.key }
        report.problems += found.flatMap(\.findings)
        if keepsResults { report.problems += Self.overlaps(listedResults) }
        return await leavingOutPrunedMeanwhile(report, since: contents.pruned.firstOffsets)
    }

    /// Where each pruned partition starts now: a prune may have moved it since `known` was read.
    private func latestFirstOffsets(after known: [TopicPartition: Int64]) async -> [TopicPartition: Int64] {
        guard let now = try? await PrunedStateKeeper.read(store: store, layout: layout).firstOffsets else { return known }
        return known.merging(now) { max($0, $1) }
    }

    /// A prune beside verify deletes objects verify listed (it records the partition's new start
    /// first, and verify reads that after listing, so the structure stage never misses one), and a
    /// read of one then fails: once `_ktape/pruned.json` puts its partition's start after it, what
    /// verify found about it is no finding, only a note. Read again only when there are data problems.
    private func leavingOutPrunedMeanwhile(_ report: VerifyReport, since known: [TopicPartition: Int64]) async -> VerifyReport {
        guard report.problems.contains(where: { $0.stage == .data }) else { return report }
        let latest = await latestFirstOffsets(after: known)
        guard latest != known else { return report }
        var report = report
        var dropped = Set<String>()
        report.problems.removeAll { finding in
            guard finding.stage == .data, let name = try? layout.objectKey(parsing: finding.subject),
                name.startOffset < latest[TopicPartition(name.topic, name.partition)] ?? 0
            else { return false }
            dropped.insert(finding.subject)
            return true
        }
        if !dropped.isEmpty {
            report.objectsChecked -= dropped.count
            report.notes.append(
                "\(VerifyReport.count(dropped.count, "object")) pruned while verify ran (ktape prune beside it): not checked")
        }
        return report
    }

    /// `forEachBatch` hands on the targets; `counts` says how many there are, and how many
    /// companions they have, of which how many with a recorded checksum.
    private func compareStoredChecksums(
        _ forEachBatch: (([DataTarget]) async throws -> Void) async throws -> Void,
        counts: (objects: Int, companions: Int, checked: Int), contents: StoreContents, report: VerifyReport,
        progress: @escaping @Sendable (VerifyProgress) -> Void
    ) async throws -> VerifyReport {
        var report = report
        guard contents.hasManifests else {
            report.problems.append(
                VerifyFinding(
                    .data, contents.location,
                    "no manifests: the stored checksums have nothing to be "
                        + "compared with (a Confluent sink's bucket has none); run verify without --stored-checksums to read every object"))
            return report
        }
        if counts.companions > counts.checked {
            report.notes.append(
                "some companions (.keys.json, .headers.json) were checked for presence only: "
                    + "their manifests record no checksum for them (written by ktape before companion checksums)")
        }
        let total = counts.objects + counts.checked
        progress(VerifyProgress(objectsDone: 0, objectsTotal: total, bytesDone: 0, bytesTotal: 0))
        var outcome = StoredChecksumCheck.Outcome()
        var compared = 0
        let (store, listed, concurrency) = (self.store, contents.listed, options.headConcurrency)
        try await forEachBatch { targets in
            // Companions whose size and checksum the manifest recorded are compared as objects of their own.
            let companions = targets.flatMap(StoredChecksumCheck.companionTargets)
            let batch = targets + companions
            report.companionsChecked += companions.count
            let before = compared
            let found = try await StoredChecksumCheck.run(batch, listed: listed, store: store, concurrency: concurrency) { done in
                progress(VerifyProgress(objectsDone: before + done, objectsTotal: total, bytesDone: 0, bytesTotal: 0))
            }
            compared += batch.count
            outcome.findings += found.findings
            outcome.archived += found.archived
            outcome.byETag += found.byETag
            outcome.byRequest += found.byRequest
        }
        outcome.findings.sort { $0.subject < $1.subject }
        report.problems += outcome.findings
        report.warnings += outcome.archived
        report.storedChecksumsCompared = compared
        report.notes.append(
            "\(VerifyReport.count(outcome.byETag, "object")) matched by the ETag in the listing (the one S3 gave ktape's upload), "
                + "\(outcome.byRequest) by the checksum S3 keeps with \(outcome.byRequest == 1 ? "it" : "them") (a HEAD each); no data read"
        )
        return report
    }

    /// Without manifests, the only continuity that can be proven wrong: an object starting at or
    /// before the last offset of the one before it in its folder (holes may be compaction, so they are
    /// not judged; a time- or field-based partitioner interleaves a partition's offsets across folders).
    static func overlaps(_ results: [DataCheckResult]) -> [VerifyFinding] {
        let byPartition = Dictionary(grouping: results) { TopicPartition($0.target.name.topic, $0.target.name.partition) }
        var findings: [VerifyFinding] = []
        for tp in byPartition.keys.sorted() {
            let folders = Dictionary(grouping: byPartition[tp] ?? [], by: \.target.folder)
            for folder in folders.keys.sorted() {
                findings += overlaps(in: folders[folder] ?? [], partition: tp)
            }
            // Within a folder the overlap above names them; across folders (which may interleave)
            // only a shared start proves the same records twice.
            let byStart = Dictionary(grouping: byPartition[tp] ?? [], by: \.target.name.startOffset)
            for start in byStart.keys.sorted() {
                let keys = (byStart[start] ?? []).map(\.target.key).sorted()
                guard keys.count > 1, Set((byStart[start] ?? []).map(\.target.folder)).count > 1 else { continue }
                findings.append(
                    VerifyFinding(
                        .data, "\(tp)", "\(keys.joined(separator: " and ")) both start at offset \(start): the same records written twice"))
            }
        }
        return findings
    }

    private static func overlaps(in results: [DataCheckResult], partition tp: TopicPartition) -> [VerifyFinding] {
        var findings: [VerifyFinding] = []
        let sorted = results.sorted { $0.target.name.startOffset < $1.target.name.startOffset }
        for (before, after) in zip(sorted, sorted.dropFirst()) {
            guard let last = before.lastOffset, let first = after.firstOffset ?? Optional(after.target.name.startOffset),
                first <= last
            else { continue }
            findings.append(
                VerifyFinding(
                    .data, "\(tp)", "\(after.target.key) starts at offset \(first), inside \(before.target.key) (which reaches \(last))"))
        }
        return findings
    }
}
