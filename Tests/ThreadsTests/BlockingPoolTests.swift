import Foundation
import Testing
import Threads

struct BlockingPoolTests {
    /// Eight jobs that each wait until all eight have started finish only if they run side by side,
    /// which a pool of one thread per core (this machine has two) would never do.
    @Test func blockedJobsRunSideBySideUpToTheLimit() async throws {
        let pool = BlockingPool(maxThreads: 8)
        let started = Counter()
        let allStarted = DispatchSemaphore(value: 0)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.run {
                        if started.increment() == 8 { for _ in 0..<8 { allStarted.signal() } }
                        return allStarted.wait(timeout: .now() + 20) == .success
                    }
                }
            }
            for try await metTheOthers in group { #expect(metTheOthers) }
        }
        #expect(pool.threadCount == 8)
    }

    @Test func threadsAreReusedAndNeverExceedTheLimit() async throws {
        let sequential = BlockingPool(maxThreads: 32)
        for round in 0..<50 {
            #expect(try await sequential.run { round * 2 } == round * 2)
        }
        // One job at a time: a thread just finishing one may miss the next, but not fifty times.
        #expect(sequential.threadCount <= 8)
        let pool = BlockingPool(maxThreads: 3)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await pool.run {
                        usleep(2000)
                        return index
                    }
                }
            }
            var seen = Set<Int>()
            for try await index in group { seen.insert(index) }
            #expect(seen == Set(0..<40))
        }
        #expect(pool.threadCount <= 3)
    }

    @Test func errorsReachTheCaller() async {
        struct Failure: Error, Equatable {}
        await #expect(throws: Failure.self) { _ = try await BlockingPool.shared.run { () throws -> Int in throw Failure() } }
    }
}

// @unchecked Sendable: its mutable state is under `lock`.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
