import Failures
import Foundation
import Layout
import Restore
import JobSpec

/// `ktape restore` after its flags are read: opens the store, runs the engine, prints the plan
/// (`--dry-run`) or the summary line on stdout and writes `--summary-json`. Engine errors become
/// one line with exit 2 (settings a rerun cannot cure) or 1.
enum RestoreRun {
    static func run(_ spec: JobSpec) async throws {
        Console.configure(spec.common)
        try OutputFiles.check(spec.common)
        Console.startRun(
            command: .restore, runId: RunID(startedAt: Date(), shard: "restore", randomSuffix: UInt32.random(in: .min ... .max)))
        let console = Console.standard
        let metrics = RunMetrics(command: .restore, spec: spec)
        let result: RestoreResult
        FailureSummary.recordIfEndedAtOnce(spec, metrics: metrics)
        do {
            result = try await restore(spec, console: console)
            Interrupts.beforeEndingAtOnce(nil)
        } catch {
            Interrupts.beforeEndingAtOnce(nil)
            let error = Interrupts.outcome(of: error)
            await metrics.writeFailure()
            FailureSummary.write(spec, error)
            throw error
        }
        // The whole plan and every problem are printed and in --summary-json (not replaced by the
        // failure's); the run still fails, as it would have.
        if !result.plan.problems.isEmpty {
            await metrics.writeFailure()
            throw RunFailure.invalidInput(
                "dry run: \(result.plan.problems.count) problem\(result.plan.problems.count == 1 ? "" : "s") would stop this restore (listed in the plan above)"
            )
        }
        do { try await metrics.write(restored: result.summary) } catch { throw Interrupts.outcome(of: error) }
    }

    private static func restore(_ spec: JobSpec, console: Console) async throws -> RestoreResult {
        var options = RestoreOptions(spec: spec, kafka: try KafkaSettings.config(spec.common))
        options.stop = Interrupts.stop
        Interrupts.stopCooperatively()
        let opened: OpenedStore
        do { opened = try StoreOpening.open(spec.common, creating: false) } catch {
            throw RunFailure.invalidInput("store \(spec.common.store.value): \(error)")
        }
        // From the start: planning decodes every manifest on several threads, and the free pages
        // that leaves between the catalog's arrays were most of its peak.
        HeapTrimmer.start()
        let progress = console.isTerminal && console.format == .text ? RestoreProgressLine() : nil
        let events = RestoreEvents(
            warning: { message in
                progress?.clear()
                console.warning(message)
            },
            progress: { report in progress?.show(report) },
            note: { message in
                progress?.clear()
                console.info(message)
            })
        let result: RestoreResult
        do {
            result = try await RestoreEngine(store: opened.store, layout: opened.layout, options: options, events: events).run()
        } catch {
            progress?.clear()
            throw error is RunFailure ? error : RunFailure.failure("restore: \(error)", cause: error)
        }
        progress?.clear()
        if result.summary.dryRun {
            print(result.plan.text, terminator: "")
        }
        print(result.summary.line)
        if let path = spec.common.summaryJSON?.value {
            try OutputFiles.write(try result.summary.json(), to: path, as: "summary-json \(path)")
        }
        return result
    }
}
