import Threads

/// Runs blocking work (file system calls) on the process's blocking threads, never on Swift's
/// cooperative pool.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingPool.shared.run(work)
    }
}
