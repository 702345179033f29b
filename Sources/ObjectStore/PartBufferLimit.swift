import Foundation

/// Caps how many part buffers a run's uploads hold at once: a buffer gathering an object's bytes
/// and one being uploaded each hold a slot until done with it. That bounds what all uploads together
/// hold at `slots` × (part size + one write), where each upload on its own could hold
/// (concurrency + 1) parts. A taker waits while every slot is held.
///
/// Waiting never deadlocks as long as `slots` exceeds what one writer holds between its own writes
/// (one buffer per stream it has open): the other slots are with uploads, which give them back on
/// their own.
// @unchecked Sendable: its counters and waiters are read and written only under `condition`.
public final class PartBufferLimit: @unchecked Sendable {
    public let slots: Int
    private let condition = NSCondition()
    private var held = 0
    private var threadsWaiting = 0
    private var tasksWaiting: [CheckedContinuation<Void, Never>] = []

    public init(slots: Int) {
        self.slots = max(1, slots)
    }

    /// Slots held at the moment (for tests).
    public var inUse: Int { condition.withLock { held } }

    /// Takers waiting for a slot at the moment, on threads and in tasks (for tests).
    public var waiting: (threads: Int, tasks: Int) { condition.withLock { (threadsWaiting, tasksWaiting.count) } }

    /// Takes a slot, waiting on this thread until one is free: for a dedicated thread (the backup's
    /// read thread), never one of the cooperative pool's.
    public func acquireBlocking() {
        condition.lock()
        defer { condition.unlock() }
        threadsWaiting += 1
        while held >= slots { condition.wait() }
        threadsWaiting -= 1
        held += 1
    }

    /// Takes a slot, suspending until one is free.
    public func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if held < slots && threadsWaiting == 0 {
                held += 1
                condition.unlock()
                continuation.resume()
            } else {
                tasksWaiting.append(continuation)
                condition.unlock()
            }
        }
    }

    /// Gives a slot back: to a waiting thread first, else to a waiting task.
    public func release() {
        condition.lock()
        held -= 1
        if threadsWaiting > 0 || tasksWaiting.isEmpty {
            condition.signal()
            condition.unlock()
            return
        }
        let next = tasksWaiting.removeFirst()
        held += 1
        condition.unlock()
        next.resume()
    }
}
