import Threads

/// Runs this module's blocking calls on the process's blocking threads, off Swift's cooperative
/// pool (which has one thread per core).
public enum KafkaBlocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingPool.shared.run(body)
    }

    /// Like `run`, but gives the wait up (throwing `Abandoned`) once the run is asked to stop or `watch`
    /// has seen no progress for its timeout: librdkafka calls cannot be interrupted, and a broker that
    /// died can keep some of them waiting far past their own timeouts. Starting the call restarts the
    /// watch, so only time spent waiting on Kafka counts (not the caller's own work before it).
    public static func run<T: Sendable>(
        stop: StopSignal, watch: StallWatch?,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        watch?.progressed()
        return try await BlockingPool.shared.run(
            giveUpWhen: {
                if let reason = stop.reason { return .stopped(reason: reason) }
                if let watch, watch.isStalled { return .stalled(seconds: Int(watch.timeout)) }
                return nil
            },
            {
                let result = try body()
                // Noted on the calling thread: an answer counts as progress however late its awaiter runs.
                watch?.progressed()
                return result
            })
    }
}
