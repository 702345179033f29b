import Foundation

/// Asks a run to stop (SIGTERM, SIGINT): its loops see it between steps, end their work cleanly and
/// throw; waits that cannot be interrupted are given up (`BlockingPool.run(giveUpWhen:_:)`).
// @unchecked Sendable: its one mutable field is under `lock`.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var requested: String?

    public init() {}

    /// Asks the run to stop; `reason` (e.g. `SIGTERM`) is kept for the line the run ends with. The
    /// first reason wins.
    public func request(_ reason: String) {
        lock.withLock { if requested == nil { requested = reason } }
    }

    /// Why the run was asked to stop, or nil while it was not.
    public var reason: String? { lock.withLock { requested } }
}

/// Time since a run last made progress, so that a run whose peer stopped answering fails after a
/// fixed time instead of waiting forever.
// @unchecked Sendable: its one mutable field is under `lock`; the clock is @Sendable.
public final class StallWatch: @unchecked Sendable {
    public let timeout: TimeInterval
    private let clock: @Sendable () -> Date
    private let lock = NSLock()
    private var last: Date

    public init(timeout: TimeInterval, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.timeout = timeout
        self.clock = clock
        last = clock()
    }

    /// Something moved on: the stall timer starts again.
    public func progressed() {
        let now = clock()
        lock.withLock { last = now }
    }

    /// Seconds since the last progress.
    public var idleSeconds: TimeInterval { clock().timeIntervalSince(lock.withLock { last }) }

    public var isStalled: Bool { idleSeconds > timeout }
}

/// Why a wait was given up: the run was asked to stop, or its peer stopped answering.
public enum Abandoned: Error, Sendable, Equatable {
    case stopped(reason: String)
    case stalled(seconds: Int)
}

extension BlockingPool {
    /// Runs `work` on a pool thread, but the awaiting task gives up with `Abandoned` as soon as
    /// `giveUp` says so (checked every 0.1 s): for C calls that cannot be interrupted. The call then
    /// ends in the background and its result is dropped; whatever it captured lives until it returns.
    /// The work is queued at once and its end is noted on its own thread, so a busy cooperative pool
    /// can delay the answer but never turn a call that ended into one given up.
    public func run<T: Sendable>(
        giveUpWhen giveUp: @escaping @Sendable () -> Abandoned?,
        _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        if let reason = giveUp() { throw reason }
        let once = ResumeOnce()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let watcher = Task {
                while !Task.isCancelled {
                    if let reason = giveUp() {
                        if once.claim() { continuation.resume(throwing: reason) }
                        return
                    }
                    try? await Task.sleep(nanoseconds: 100_000_000)
                }
            }
            submit {
                let result = Result { try work() }
                if once.claim() { continuation.resume(with: result) }
                watcher.cancel()
            }
        }
    }
}

/// Lets exactly one of two racers resume a continuation.
// @unchecked Sendable: its one flag is under `lock`.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func claim() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}
