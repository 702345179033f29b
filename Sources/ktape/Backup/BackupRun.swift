import Backup
import Failures
import Foundation
import Kafka
import Layout
import JobSpec

/// `ktape backup` after its flags are read: opens the store, runs the engine, prints the summary
/// line on stdout and writes `--summary-json`. Engine errors become one line with exit 2 or 1.
enum BackupRun {
    static func run(_ spec: JobSpec) async throws {
        Console.configure(spec.common)
        try OutputFiles.check(spec.common)
        let metrics = RunMetrics(command: .backup, spec: spec)
        let summary: BackupSummary
        FailureSummary.recordIfEndedAtOnce(spec, metrics: metrics)
        do {
            summary = try await backup(spec)
            Interrupts.beforeEndingAtOnce(nil)
        } catch {
            Interrupts.beforeEndingAtOnce(nil)
            let error = Interrupts.outcome(of: error)
            await metrics.writeFailure()
            FailureSummary.write(spec, error)
            throw error
        }
        do { try await metrics.write(backedUp: summary) } catch { throw Interrupts.outcome(of: error) }
    }

    private static func backup(_ spec: JobSpec) async throws -> BackupSummary {
        guard let settings = spec.backup else { throw RunFailure.invalidInput("backup settings are missing") }
        let runId = RunID(startedAt: Date(), shard: settings.shardLabel, randomSuffix: UInt32.random(in: .min ... .max))
        Console.startRun(command: .backup, runId: runId)
        let console = Console.standard
        let kafka = try KafkaSettings.config(spec.common)
        let opened: OpenedStore
        do { opened = try StoreOpening.open(spec.common, creating: true) } catch {
            throw RunFailure.invalidInput("store \(spec.common.store.value): \(error)")
        }
        var request = BackupRequest(
            job: spec.jobName, settings: settings, consumerGroups: spec.common.consumerGroups?.value,
            kafka: kafka, store: opened.store, layout: opened.layout,
            basePutOptions: StoreOpening.basePutOptions(spec.common))
        request.runId = runId
        request.warn = { console.warning($0) }
        request.warnAbout = { console.warning($0, LogFields().with("topic", $1).with("partition", $2)) }
        request.stallTimeout = TimeInterval(spec.common.stallTimeout.value)
        request.stop = Interrupts.stop
        Interrupts.stopCooperatively()
        if console.isTerminal && console.format == .text {
            let display = BackupProgressLine()
            request.progress = { display.show($0) }
        }
        let summary: BackupSummary
        HeapTrimmer.start()
        do {
            summary = try await BackupEngine.run(request)
        } catch let error as RunFailure {
            throw error
        } catch {
            throw RunFailure.failure("backup: \(error)", cause: error)
        }
        print(summary.line)
        if let path = spec.common.summaryJSON?.value {
            try OutputFiles.write(try summary.json(), to: path, as: "summary-json \(path)")
        }
        return summary
    }
}
