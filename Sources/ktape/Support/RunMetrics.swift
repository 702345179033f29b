import Backup
import Dispatch
import Foundation
import Inspection
import Layout
import ObjectStore
import Prune
import Restore
import JobSpec

/// What `--metrics-file` and `--metrics-push-url` say about a run: gauges for alerting on a failed
/// or stale scheduled run (`ktape_backup_success == 0`,
/// `time() - ktape_last_success_timestamp_seconds > 2 * 3600`). Labels name the command, the job
/// (`ktape_job`: Prometheus gives every target its own `job`), the store and a backup's shard.
struct RunMetrics: Sendable {
    static let jobLabel = "ktape_job"
    static let lastSuccess = "ktape_last_success_timestamp_seconds"

    let command: JobCommand
    let path: String?
    let push: MetricsPush?
    let labels: [(String, String)]
    let started = Date()
    let warn: @Sendable (String) -> Void

    init(command: JobCommand, spec: JobSpec, warn: @escaping @Sendable (String) -> Void = { Console.standard.warning($0) }) {
        self.command = command
        path = spec.common.metricsFile?.value
        var labels = [("command", command.rawValue), (Self.jobLabel, spec.jobName), ("store", Self.storeLabel(spec.common.store.value))]
        if let shard = spec.backup?.shardLabel { labels.append(("shard", shard)) }
        self.labels = labels
        push = spec.common.metricsPushURL.map { MetricsPush(url: $0.value, labels: labels) }
        self.warn = warn
    }

    /// One label per store however it was spelled: a directory by its absolute path (as an absolute
    /// path or file:// URL always was), so `mystore` and `./mystore` are not two series.
    static func storeLabel(_ store: StoreLocation) -> String {
        switch store {
        case .s3: store.description
        case .directory(let path): LocalDirectoryStore.absolutePath(of: path)
        }
    }

    func write(backedUp summary: BackupSummary) async throws {
        try await write(success: true) { file in
            file.gauge("ktape_backup_records", "Records written by the run.", Double(summary.records))
            file.gauge("ktape_backup_bytes", "Bytes stored by the run, after compression.", Double(summary.bytes))
            file.gauge("ktape_backup_objects", "Data objects written by the run.", Double(summary.objects))
            file.gauge("ktape_backup_partitions", "Partitions the run covered.", Double(summary.partitions))
            file.gauge(
                "ktape_backup_lag_records_at_start", "Offsets between the checkpoint and the end offsets when the run started.",
                Double(summary.offsetsBehindAtStart))
            file.gauge("ktape_backup_gaps", "Retention gaps found: data deleted before it was read.", Double(summary.retentionGaps))
            file.gauge("ktape_backup_lost_offsets", "Offsets covered by retention gaps.", Double(summary.lostOffsets))
            file.gauge("ktape_backup_skipped_records", "Records left out by on-invalid-json: skip.", Double(summary.skippedRecords))
            file.gauge(
                "ktape_backup_group_offsets", "Consumer-group offsets (group, partition) saved in the manifest.",
                Double(summary.groupOffsets))
            file.gauge(
                "ktape_backup_group_offsets_saved", "0 when the consumer groups could not be listed, so no group offsets were saved.",
                summary.groupOffsetsNotSaved == nil ? 1 : 0)
        }
    }

    func write(restored summary: RestoreSummary) async throws {
        try await write(success: true) { file in
            file.gauge("ktape_restore_records", "Records produced by the run.", Double(summary.producedRecords))
            file.gauge(
                "ktape_restore_already_present_records", "Records found already restored (resumed runs).",
                Double(summary.alreadyPresentRecords))
            file.gauge("ktape_restore_topics", "Topics restored.", Double(summary.topics.count))
            file.gauge(
                "ktape_restore_committed_groups", "Consumer groups whose offsets were committed.", Double(summary.committedGroups.count))
        }
    }

    func write(pruned summary: PruneSummary) async throws {
        try await write(success: true) { file in
            file.gauge("ktape_prune_objects", "Data objects removed by the run (with --dry-run: that would be).", Double(summary.objects))
            file.gauge("ktape_prune_records", "Records in the objects removed.", Double(summary.records))
            file.gauge("ktape_prune_bytes", "Bytes removed, as stored.", Double(summary.bytes))
            file.gauge(
                "ktape_prune_partitions", "Partitions whose first offset moved.", Double(summary.partitions.filter { $0.objects > 0 }.count)
            )
            file.gauge(
                "ktape_prune_kept_locked_objects", "Objects kept because Object Lock retention holds them.",
                Double(summary.keptLocked.count))
        }
    }

    /// A verify that found problems ran, but did not succeed: success 0, with what it found. Its
    /// reporting problems then become warnings, as a failed run's do: exit 3 is the line that counts.
    func write(verified report: VerifyReport) async throws {
        do {
            try await write(success: report.isClean) { file in
                file.gauge("ktape_verify_problems", "Problems found: the store is not whole.", Double(report.problems.count))
                file.gauge("ktape_verify_warnings", "Warnings, such as objects no manifest names.", Double(report.warnings.count))
                file.gauge("ktape_verify_runs", "Backup runs whose manifests were read.", Double(report.runs))
                file.gauge("ktape_verify_objects", "Data objects read in full.", Double(report.objectsChecked))
                file.gauge("ktape_verify_bytes", "Bytes read, as stored.", Double(report.bytesRead))
                file.gauge("ktape_verify_records", "Records decoded.", Double(report.recordsChecked))
                file.gauge(
                    "ktape_verify_stored_checksums", "Objects whose stored checksum was compared (--stored-checksums).",
                    Double(report.storedChecksumsCompared))
            }
        } catch  where !report.isClean {
            warn("\(error)")
        }
    }

    /// A run that ended in an error still reports, so a stale success cannot hide it; the last
    /// success is carried over from the previous file (and the Pushgateway keeps its own).
    /// Reporting problems become warnings: the run's own error is the line that counts.
    func writeFailure() async {
        do { try await write(success: false) { _ in } } catch { warn("\(error)") }
    }

    /// `writeFailure` for a thread that cannot await (a signal's, before the process ends at once);
    /// a push that does not answer within `seconds` is given up.
    func writeFailure(waitingAtMost seconds: Double) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await writeFailure()
            done.signal()
        }
        _ = done.wait(timeout: .now() + seconds)
    }

    private func write(success: Bool, _ body: (inout MetricsFile) -> Void) async throws {
        guard path != nil || push != nil else { return }
        let now = Date()
        var file = MetricsFile(labels: labels)
        let name = command.rawValue
        file.gauge("ktape_\(name)_success", "1 when the run ended well, 0 when it failed.", success ? 1 : 0)
        file.gauge("ktape_\(name)_duration_seconds", "Wall-clock seconds of the run.", now.timeIntervalSince(started))
        file.gauge("ktape_\(name)_last_run_timestamp_seconds", "When the run ended, in Unix seconds.", now.timeIntervalSince1970)
        let previous = path.flatMap { MetricsFile.value(of: Self.lastSuccess, labels: labels, inFileAt: $0) }
        if let lastSuccess = success ? now.timeIntervalSince1970 : previous {
            file.gauge(Self.lastSuccess, "When a run of this command, job and store last ended well, in Unix seconds.", lastSuccess)
        }
        body(&file)
        var failures: [Error] = []
        if let path {
            do { try file.write(to: path) } catch { failures.append(error) }
        }
        if let push {
            do { try await push.send(file, replace: success) } catch { failures.append(error) }
        }
        if let first = failures.first { throw first }
    }
}
