import Foundation
import Kafka
import Threads

/// The one watch over a read loop (assigned or group): stops it when the run is asked to stop, and
/// fails it when its partitions make no progress for the stall timeout (brokers gone, a partition
/// stuck), naming the cluster, the partitions waited for and the last Kafka error.
struct ReadWatchdog {
    private let request: BackupRequest
    private let watch: StallWatch
    private var mark = Int64(-1)
    /// The last non-fatal error librdkafka reported (connection refused, and so on), for the failure line.
    var lastError: KafkaError?

    init(request: BackupRequest, watch: StallWatch) {
        self.request = request
        self.watch = watch
    }

    /// Call once per poll with the offsets done so far; `idle` when nothing is left to wait for (a
    /// group member holding only finished partitions). `waitingFor` names what is waited for.
    mutating func check(doneOffsets: Int64, idle: Bool = false, waitingFor: () -> String) throws {
        if let reason = request.stop.reason { throw BackupError.interrupted(reason) }
        if doneOffsets != mark || idle {
            mark = doneOffsets
            watch.progressed()
        } else if watch.isStalled {
            throw BackupError.stalled(cluster: request.kafka.bootstrapServers, seconds: watch.timeout, waitingFor: waitingFor(),
                                      lastError: lastError)
        }
    }
}

extension BackupError {
    /// The line of a run whose cluster stopped answering.
    static func stalled(cluster: String, seconds: TimeInterval, waitingFor: String, lastError: Error? = nil) -> BackupError {
        .failure("Kafka cluster \(cluster) made no progress for \(Int(seconds)) s while \(waitingFor)"
                 + (lastError.map { " (last error: \($0))" } ?? "") + "; no manifest was written, so a rerun continues from the last one")
    }

    /// `t/0, t/3, … and 12 more`: the partitions a stalled run waited for, without a line of hundreds.
    static func partitionList(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? "\(shown) and \(names.count - 8) more" : shown
    }

    /// The line of a run stopped by a signal; its exit status follows the signal.
    static func interrupted(_ reason: String) -> BackupError {
        BackupError(.interrupted, "interrupted by \(reason): open uploads aborted, the lock released, no manifest written; run again to continue")
    }
}
