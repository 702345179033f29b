import Dispatch

/// Runs blocking work (file system calls) on Dispatch's threads, never on Swift's cooperative pool,
/// which has only as many threads as cores.
enum Blocking {
    private static let queue = DispatchQueue(label: "ktape.objectstore.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
