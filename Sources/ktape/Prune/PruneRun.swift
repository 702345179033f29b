import Failures
import Foundation
import Layout
import Prune
import JobSpec

/// `ktape prune` after its flags are read: opens the store, runs the engine, prints the summary line
/// (and, with --dry-run, what would go) and writes `--summary-json` and the metrics.
enum PruneRun {
    static func run(_ spec: JobSpec) async throws {
        Console.configure(spec.common)
        try OutputFiles.check(spec.common)
        Console.startRun(command: .prune, runId: RunID(startedAt: Date(), shard: "prune", randomSuffix: UInt32.random(in: .min ... .max)))
        let metrics = RunMetrics(command: .prune, spec: spec)
        let summary: PruneSummary
        FailureSummary.recordIfEndedAtOnce(spec, metrics: metrics)
        do {
            summary = try await prune(spec)
            Interrupts.beforeEndingAtOnce(nil)
        } catch {
            Interrupts.beforeEndingAtOnce(nil)
            let error = Interrupts.outcome(of: error)
            await metrics.writeFailure()
            FailureSummary.write(spec, error)
            throw error
        }
        do { try await metrics.write(pruned: summary) } catch { throw Interrupts.outcome(of: error) }
    }

    private static func prune(_ spec: JobSpec) async throws -> PruneSummary {
        guard let settings = spec.prune else { throw RunFailure.invalidInput("prune settings are missing") }
        let opened: OpenedStore
        do { opened = try StoreOpening.open(spec.common, creating: false) } catch {
            throw RunFailure.invalidInput("store \(spec.common.store.value): \(error)")
        }
        // Each pass decodes every manifest on several threads, as a restore's planning does.
        HeapTrimmer.start()
        var request = PruneRequest(
            job: spec.jobName, settings: settings, store: opened.store, layout: opened.layout,
            basePutOptions: StoreOpening.basePutOptions(spec.common))
        request.stop = Interrupts.stop
        request.pruneId = Console.currentRunId
        let console = Console.standard
        request.warn = { console.warning($0) }
        Interrupts.stopCooperatively()
        let summary = try await PruneEngine.run(request)
        if summary.dryRun {
            for partition in summary.partitions where partition.objects > 0 || !partition.keptLocked.isEmpty {
                print(
                    "\(partition.topic)/\(partition.partition): offsets [\(partition.firstOffset), \(partition.newFirstOffset)), "
                        + "\(partition.objects) objects, \(partition.records) records"
                        + (partition.keptLocked.isEmpty ? "" : "; kept by Object Lock: \(partition.keptLocked.joined(separator: ", "))"))
            }
        }
        print(summary.line)
        if let path = spec.common.summaryJSON?.value {
            try OutputFiles.write(try summary.json(), to: path, as: "summary-json \(path)")
        }
        return summary
    }
}
