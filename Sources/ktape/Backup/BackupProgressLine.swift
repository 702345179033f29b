import Backup
import Foundation

/// The progress display on a terminal: one line per topic (records, bytes, MB/s, ETA from the
/// snapshot's end offsets), redrawn in place. Silent when stderr is not a terminal.
// @unchecked Sendable: its mutable state is under `lock`.
final class BackupProgressLine: @unchecked Sendable {
    private let started = Date()
    private let lock = NSLock()
    private var drawnLines = 0

    func show(_ topics: [TopicProgress]) {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = max(0.001, Date().timeIntervalSince(started))
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        for topic in topics {
            let rate = Double(topic.bytes) / elapsed / 1_000_000
            let offsetsPerSecond = Double(topic.doneOffsets) / elapsed
            let eta =
                topic.remainingOffsets == 0
                ? "done"
                : offsetsPerSecond > 0 ? "ETA \(Int(Double(topic.remainingOffsets) / offsetsPerSecond)) s" : "ETA ?"
            text +=
                "\u{1B}[2K\(topic.topic): \(topic.records) records, \(BackupProgressLine.mebibytes(topic.bytes)), "
                + String(format: "%.1f MB/s", rate) + ", \(eta)\n"
        }
        drawnLines = topics.count
        StandardStreams.writeAll(Array(text.utf8), to: STDERR_FILENO)
    }

    static func mebibytes(_ bytes: Int64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
