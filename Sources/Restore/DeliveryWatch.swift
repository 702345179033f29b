import Failures
import Foundation
import Kafka
import Threads

/// Watches the restore's waits on the target: a signal stops them, and records that wait while no
/// delivery report has come for the stall timeout (the target died) fail the restore with one line
/// naming the cluster, instead of waiting on librdkafka's own timeouts.
// @unchecked Sendable: its mutable state is read and written under `lock`.
final class DeliveryWatch: @unchecked Sendable {
    private let ledger: DeliveryLedger
    private let stop: StopSignal
    private let watch: StallWatch
    private let cluster: String
    private let lock = NSLock()
    private var lastDelivered = Int64(-1)
    /// The producer's last error, for the stall line (which otherwise could not say why).
    private var producerError: (@Sendable () -> KafkaError?)?

    /// The producer whose last error a stall names (made again when its queue grows).
    func watching(_ producer: KafkaProducer) {
        lock.withLock { producerError = { [weak producer] in producer?.lastError } }
    }

    init(ledger: DeliveryLedger, options: RestoreOptions) {
        self.ledger = ledger
        stop = options.stop
        watch = StallWatch(timeout: options.stallTimeout, clock: options.clock)
        cluster = options.kafka.bootstrapServers
    }

    func checkStop() throws {
        if let reason = stop.reason { throw RunFailure.restoreInterrupted(reason) }
    }

    /// Called again and again while the restore waits on the target (room in the local queue, the
    /// final flush), serving delivery reports in between; `starting` on the first call of a wait, so
    /// only time spent waiting counts (not reading the store between waits). `waiting`: records
    /// queued and not yet reported (0 when nothing is outstanding, which is no stall).
    func check(waiting: Int, ignoringStop: Bool = false, starting: Bool = false) throws {
        if !ignoringStop { try checkStop() }
        let delivered = ledger.totalDelivered
        let moved = lock.withLock {
            defer { lastDelivered = delivered }
            return delivered != lastDelivered
        }
        if moved || waiting == 0 || starting {
            watch.progressed()
        } else if watch.isStalled {
            let error = lock.withLock { producerError }?()
            throw RunFailure.failure(
                "target cluster \(cluster): no delivery report for \(Int(watch.timeout)) s while \(waiting) records wait "
                    + (error.map { "(last error: \($0))" } ?? "(is the cluster down?)")
                    + "; the resume state keeps what was confirmed, so a rerun continues", cause: error)
        }
    }
}
