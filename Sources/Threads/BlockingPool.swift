import Foundation

/// Threads for blocking calls (file I/O and fsync, librdkafka calls that wait), so that none runs on
/// Swift's cooperative pool, which has one thread per core.
///
/// A concurrent DispatchQueue is not enough on Linux: libdispatch runs its work on about one thread
/// per core and adds threads only when its monitor notices blocked ones. A restore's 16 state saves
/// "at once" went through 3 threads, one fsync after another, and so did a backup's object writes.
/// Here a job waits only when `maxThreads` jobs are already running. Threads start as jobs need
/// them and are kept for the next ones.
// @unchecked Sendable: the thread count is under `lock`, the jobs in a JobQueue.
public final class BlockingPool: @unchecked Sendable {
    /// The process's pool. Its callers bound their own concurrency (16 or so at once in one run); the
    /// limit is a guard, high enough that calls which wait out long timeouts (admin requests a broker
    /// does not answer, flushes) never hold up others when many runs share a process, as they do in
    /// the tests: with a limit of 32, two consumer group members there waited out their session.
    public static let shared = BlockingPool(maxThreads: 256)

    private let queue = JobQueue<() -> Void>()
    private let lock = NSLock()
    private let maxThreads: Int
    private var threads = 0

    public init(maxThreads: Int) { self.maxThreads = max(1, maxThreads) }

    /// Threads started so far.
    public var threadCount: Int { lock.withLock { threads } }

    /// Runs `work` on one of the pool's threads and returns its result to the awaiting task.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Queues `job` for a pool thread, starting one when all are busy.
    func submit(_ job: @escaping () -> Void) {
        let (_, moreTakersNeeded) = queue.put(job)
        if moreTakersNeeded { startThread() }
    }

    private func startThread() {
        let start = lock.withLock {
            guard threads < maxThreads else { return false }
            threads += 1
            return true
        }
        guard start else { return }
        let thread = Thread { [queue] in
            while let job = queue.take() { job() }
        }
        thread.name = "ktape-blocking"
        thread.start()
    }
}
