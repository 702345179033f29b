import Failures
import Foundation
import Dispatch

/// Lets the read loop, which runs on its own thread, wait for async store work. Blocking here is
/// fine: the caller is a dedicated thread, never one of the cooperative pool's (one per core), and
/// the awaited task runs on the pool, which stays free.
enum ThreadBridge {
    static func wait<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        guard let result = box.result else { throw RunFailure.failure("internal: async work ended without a result") }
        return try result.get()
    }
}

/// Carries a result across the semaphore; the semaphore orders the write before the read.
// @unchecked Sendable: written once before the semaphore is signalled and read only after the wait returns.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// Runs `body` on a new thread (not the cooperative pool) and returns its result to the awaiting task.
enum DedicatedThread {
    static func run<T>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.stackSize = 4 << 20
            thread.start()
        }
    }
}
