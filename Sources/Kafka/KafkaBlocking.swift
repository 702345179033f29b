import Threads

/// Runs this module's blocking calls on the process's blocking threads, off Swift's cooperative
/// pool (which has one thread per core).
public enum KafkaBlocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingPool.shared.run(body)
    }
}
