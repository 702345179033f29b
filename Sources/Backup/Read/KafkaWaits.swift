import Failures
import Foundation
import Kafka
import Threads

/// The backup's waits on Kafka outside the read loops (metadata, offsets, topic configs, commits):
/// each is given up when the run is asked to stop or the run's watch has seen no progress for the
/// stall timeout, and each answer counts as progress.
struct KafkaWaits: Sendable {
    let stop: StopSignal
    let watch: StallWatch
    /// The bootstrap list, to name the cluster.
    let cluster: String
    /// What librdkafka last reported, for the line of a wait given up on.
    let lastError: @Sendable () -> KafkaError?

    init(request: BackupRequest, watch: StallWatch, lastError: @escaping @Sendable () -> KafkaError? = { nil }) {
        stop = request.stop
        self.watch = watch
        cluster = request.kafka.bootstrapServers
        self.lastError = lastError
    }

    /// Runs a blocking Kafka call; `what` says what was being done, for the failure line.
    func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await KafkaBlocking.run(stop: stop, watch: watch, body)
        } catch Abandoned.stopped(let reason) {
            throw RunFailure.backupInterrupted(reason)
        } catch Abandoned.stalled {
            throw RunFailure.stalled(cluster: cluster, seconds: watch.timeout, waitingFor: what, lastError: lastError())
        } catch let error as KafkaError where error.isRetriable && watch.isStalled {
            // A call that retries for the stall timeout itself can end just before the watch does: the
            // same stall, and the same line, whichever of the two gave up first. Its last answer names
            // the cause (OFFSET_NOT_AVAILABLE, say) unless it only timed out, where the client's last
            // report (a refused connection) says more.
            let cause = error.code == .timedOut ? lastError() ?? error : error
            throw RunFailure.stalled(cluster: cluster, seconds: watch.timeout, waitingFor: what, lastError: cause)
        } catch {
            throw RunFailure.wrap(error, what)
        }
    }
}
