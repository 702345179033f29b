import Backup
import Foundation
import Layout
import Restore

/// What `--metrics-file` says about a run: gauges labelled with the job, for alerting on a failed
/// or stale scheduled backup (`ktape_backup_success == 0`, `time() - ktape_backup_last_run_timestamp_seconds`).
struct RunMetrics {
    let command: String
    let path: String?
    let labels: [(String, String)]
    let started = Date()

    init(command: String, spec: JobSpec) {
        self.command = command
        path = spec.common.metricsFile?.value
        var labels = [("job", spec.jobName)]
        if let shard = spec.backup?.shardLabel { labels.append(("shard", shard)) }
        self.labels = labels
    }

    func write(backedUp summary: BackupSummary) throws {
        try write(success: true) { file in
            file.gauge("ktape_backup_records", "Records written by the run.", Double(summary.records))
            file.gauge("ktape_backup_bytes", "Bytes stored by the run, after compression.", Double(summary.bytes))
            file.gauge("ktape_backup_objects", "Data objects written by the run.", Double(summary.objects))
            file.gauge("ktape_backup_partitions", "Partitions the run covered.", Double(summary.partitions))
            file.gauge("ktape_backup_lag_records_at_start", "Offsets between the checkpoint and the end offsets when the run started.", Double(summary.offsetsBehindAtStart))
            file.gauge("ktape_backup_gaps", "Retention gaps found: data deleted before it was read.", Double(summary.retentionGaps))
            file.gauge("ktape_backup_lost_offsets", "Offsets covered by retention gaps.", Double(summary.lostOffsets))
            file.gauge("ktape_backup_skipped_records", "Records left out by on-invalid-json: skip.", Double(summary.skippedRecords))
        }
    }

    func write(restored summary: RestoreSummary) throws {
        try write(success: true) { file in
            file.gauge("ktape_restore_records", "Records produced by the run.", Double(summary.producedRecords))
            file.gauge("ktape_restore_already_present_records", "Records found already restored (resumed runs).", Double(summary.alreadyPresentRecords))
            file.gauge("ktape_restore_topics", "Topics restored.", Double(summary.topics.count))
            file.gauge("ktape_restore_committed_groups", "Consumer groups whose offsets were committed.", Double(summary.committedGroups.count))
        }
    }

    /// A failed run still replaces the file, so a stale success cannot hide it.
    func writeFailure() {
        try? write(success: false) { _ in }
    }

    private func write(success: Bool, _ body: (inout MetricsFile) -> Void) throws {
        guard let path else { return }
        var file = MetricsFile(labels: labels)
        file.gauge("ktape_\(command)_success", "1 when the run ended well, 0 when it failed.", success ? 1 : 0)
        file.gauge("ktape_\(command)_duration_seconds", "Wall-clock seconds of the run.", Date().timeIntervalSince(started))
        file.gauge("ktape_\(command)_last_run_timestamp_seconds", "When the run ended, in Unix seconds.", Date().timeIntervalSince1970)
        body(&file)
        try file.write(to: path)
    }
}
