import Foundation

/// Threads for blocking calls (file I/O and fsync, librdkafka calls that wait), so that none runs on
/// Swift's cooperative pool, which has one thread per core.
///
/// A concurrent DispatchQueue is not enough on Linux: libdispatch runs its work on about one thread
/// per core and adds threads only when its monitor notices blocked ones. A restore's 16 state saves
/// "at once" went through 3 threads, one fsync after another, and so did a backup's object writes.
/// Here a job waits only when `maxThreads` jobs are already running. Threads start as jobs need
/// them and are kept for the next ones.
public final class BlockingPool: @unchecked Sendable {
    /// The process's pool. Its callers bound their own concurrency (16 or so at once in one run); the
    /// limit is a guard, high enough that jobs which block for a whole run (a backup's read loop, a
    /// consumer group member's polls) never queue behind each other when many runs share a process,
    /// as they do in the tests: with a limit of 32, two group members there waited out their session.
    public static let shared = BlockingPool(maxThreads: 256)

    private let condition = NSCondition()
    private let maxThreads: Int
    private var jobs: [(() -> Void)?] = []
    private var head = 0
    private var threads = 0
    private var idle = 0

    public init(maxThreads: Int) { self.maxThreads = max(1, maxThreads) }

    /// Threads started so far.
    public var threadCount: Int { condition.withLock { threads } }

    /// Runs `work` on one of the pool's threads and returns its result to the awaiting task.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try work() }) }
        }
    }

    private func submit(_ job: @escaping () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        let waiting = jobs.count - head
        if idle >= waiting {
            condition.signal()
        } else if threads < maxThreads {
            threads += 1
            let thread = Thread { [self] in work() }
            thread.name = "ktape-blocking"
            thread.start()
        } else {
            condition.signal()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count {
                idle += 1
                condition.wait()
                idle -= 1
            }
            // Taken slots are cleared at once, so a job's captures are released when it ends.
            let job = jobs[head]
            jobs[head] = nil
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job?()
        }
    }
}
