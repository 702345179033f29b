import Foundation
import Restore

/// One self-overwriting progress line on a terminal's stderr.
// @unchecked Sendable: its mutable state is under `lock`.
final class RestoreProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var shown = false

    func show(_ report: RestoreProgressReport) {
        let text =
            "restore: \(report.partitionsDone)/\(report.partitionsTotal) partitions, \(report.producedRecords) records produced"
            + (report.alreadyPresentRecords > 0 ? ", \(report.alreadyPresentRecords) already present" : "")
            + " (\(report.partition))"
        lock.withLock {
            StandardStreams.writeAll(Array(("\r\u{1B}[K" + text).utf8), to: STDERR_FILENO)
            shown = true
        }
    }

    /// Removes the line before other output.
    func clear() {
        lock.withLock {
            if shown { StandardStreams.writeAll(Array("\r\u{1B}[K".utf8), to: STDERR_FILENO) }
            shown = false
        }
    }
}
