import Failures
import Foundation
import Kafka

/// The one watch over a read loop (assigned or group): stops it when the run is asked to stop,
/// fails it when its polls hand over nothing for the stall timeout (brokers gone, a partition
/// stuck), naming the cluster, the partitions waited for and the last Kafka error, and reports its
/// progress every `progressInterval`. Only time spent in polls that handed over nothing counts: a
/// poll whose records took long to upload (a slow store) is progress, not a stalled cluster.
struct ReadWatchdog {
    private let request: BackupRequest
    private var idle: TimeInterval = 0
    private var last: Date
    private var lastReport = Date.distantPast
    /// The last non-fatal error librdkafka reported (connection refused, and so on), for the failure line.
    var lastError: KafkaError?

    init(request: BackupRequest) {
        self.request = request
        last = request.clock()
    }

    /// Call once per poll with how many records, ends of partitions and rebalances it handed over;
    /// `nothingToWaitFor` when all that is held is done (a group member waiting for the group to
    /// settle). `waitingFor` names what is waited for; `progress` is the loop's progress so far.
    mutating func check(
        handled: Int, nothingToWaitFor: Bool = false, waitingFor: () -> String,
        progress: () -> [TopicProgress]
    ) throws {
        if let reason = request.stop.reason { throw RunFailure.backupInterrupted(reason) }
        if let lastError, lastError.isOutOfOpenFiles {
            throw RunFailure.invalidInput("Kafka cluster \(request.kafka.bootstrapServers): \(lastError)")
        }
        let now = request.clock()
        defer { last = now }
        if handled > 0 || nothingToWaitFor {
            idle = 0
        } else {
            idle += max(0, now.timeIntervalSince(last))
            if idle > request.stallTimeout {
                throw RunFailure.stalled(
                    cluster: request.kafka.bootstrapServers, seconds: request.stallTimeout,
                    waitingFor: waitingFor(), lastError: lastError)
            }
        }
        if let report = request.progress, now.timeIntervalSince(lastReport) >= request.progressInterval {
            lastReport = now
            report(progress())
        }
    }
}

extension RunFailure {
    /// The line of a run whose cluster stopped answering.
    static func stalled(cluster: String, seconds: TimeInterval, waitingFor: String, lastError: Error? = nil) -> RunFailure {
        let line =
            "Kafka cluster \(cluster) made no progress for \(Int(seconds)) s while \(waitingFor)"
            + (lastError.map { " (last error: \($0))" } ?? "")
        // Its last error says what to change (KafkaError's line ends with the advice).
        // The cause gives the log line its error code.
        if (lastError as? KafkaError)?.isOutOfOpenFiles == true { return .invalidInput(line, cause: lastError) }
        return .failure("\(line); no manifest was written, so a rerun continues from the last one", cause: lastError)
    }

    /// `t/0, t/3, … and 12 more`: the partitions a stalled run waited for, without a line of hundreds.
    static func partitionList(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? "\(shown) and \(names.count - 8) more" : shown
    }

    /// The line of a run stopped by a signal; its exit status follows the signal.
    static func backupInterrupted(_ reason: String) -> RunFailure {
        .interrupted(
            "interrupted by \(reason): open uploads aborted, the lock released, no manifest written; run again to continue", by: reason)
    }
}
