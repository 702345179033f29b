import Failures
import Foundation
import Layout
import JobSpec

/// `--summary-json` of a run that failed: a scheduler reading the file finds the failure, not the
/// summary of an earlier run or nothing. One JSON object: `command`, `runId`, `job`, `failed: true`,
/// `exitStatus` and the `error` line printed on stderr.
enum FailureSummary {
    /// `endingAtOnce`: from the signal thread, which must not wait on stdout (the main thread may
    /// hold it, blocked on a stalled pipe), so a summary to stdout or stderr is left out there.
    static func write(_ spec: JobSpec, _ error: Error, endingAtOnce: Bool = false) {
        guard let path = spec.common.summaryJSON?.value else { return }
        if endingAtOnce && OutputFiles.standardStream(path) != nil { return }
        let failure = error as? RunFailure
        let fields: [String: Any] = [
            "command": spec.command.rawValue,
            // null when the settings were refused before a run began (no run, no id)
            "runId": Console.currentRunId.map { $0 as Any } ?? NSNull(),
            "job": spec.jobName,
            "failed": true,
            "exitStatus": Int(failure?.exitStatus ?? ExitStatus.failure),
            "error": failure?.message ?? "\(error)"
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        // Best effort: the run's own failure line says what went wrong either way.
        try? OutputFiles.write(data + Data("\n".utf8), to: path, as: "summary-json \(path)")
    }

    /// Has a run that a signal ends at once (its grace over, or a second signal) still record its
    /// failure in the metrics and here, as a failed run does; a scheduler otherwise saw the summary
    /// and metrics of the run before. Disarmed with `Interrupts.beforeEndingAtOnce(nil)`.
    static func recordIfEndedAtOnce(_ spec: JobSpec, metrics: RunMetrics) {
        Interrupts.beforeEndingAtOnce { failure in
            // Briefly: a pod's grace period is short, and this comes after the run's own.
            metrics.writeFailure(waitingAtMost: 3)
            write(spec, failure, endingAtOnce: true)
        }
    }
}
