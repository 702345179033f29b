import Foundation

/// Runs this module's blocking calls off Swift's cooperative thread pool (which has one thread per core).
public enum KafkaBlocking {
    private static let queue = DispatchQueue(label: "ktape.kafka.blocking", attributes: .concurrent)

    /// Runs `body` on a private dispatch thread and returns its result to the awaiting task.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
