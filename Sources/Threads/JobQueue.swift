import Foundation

/// A FIFO of jobs for threads of one's own: `take` blocks until there is one or the queue is closed.
// @unchecked Sendable: every field is read and written under `condition`; a job goes to exactly one taker.
public final class JobQueue<Job>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Taken slots are set to nil at once: a job (and what it captures) is released when it ends.
    private var jobs: [Job?] = []
    private var head = 0
    private var closed = false
    private var idle = 0

    public init() {}

    /// Queues `job`; false once the queue is closed. `moreTakersNeeded` is then whether more jobs
    /// wait than threads wait in `take`.
    @discardableResult
    public func put(_ job: Job) -> (accepted: Bool, moreTakersNeeded: Bool) {
        condition.lock()
        defer { condition.unlock() }
        if closed { return (false, false) }
        jobs.append(job)
        condition.signal()
        return (true, jobs.count - head > idle)
    }

    /// The next job, waiting for one; nil when the queue is closed and empty.
    public func take() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed {
            idle += 1
            condition.wait()
            idle -= 1
        }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        jobs[head] = nil
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    /// Takers finish the queued jobs, then get nil.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
