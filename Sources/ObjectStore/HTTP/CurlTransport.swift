import Foundation

/// `HTTPTransport` over libcurl. Requests run on a small pool of dedicated threads, each with its
/// own easy handle (so connections are reused per thread); the async caller is resumed when the
/// exchange ends, so no blocking call ever runs on Swift's cooperative pool.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    public struct Settings: Sendable {
        /// Requests in flight at once (one thread and one connection each).
        public var connections: Int
        /// PEM bundle of trusted CAs; `AWS_CA_BUNDLE` by default, else the system's.
        public var caBundle: String?
        public var connectTimeout: Double
        /// Seconds without a byte moving before a transfer counts as dropped.
        public var stallTimeout: Double

        public init(connections: Int = 8, caBundle: String? = ProcessInfo.processInfo.environment["AWS_CA_BUNDLE"],
                    connectTimeout: Double = 10, stallTimeout: Double = 30) {
            self.connections = max(1, connections)
            self.caBundle = caBundle.flatMap { $0.isEmpty ? nil : $0 }
            self.connectTimeout = connectTimeout
            self.stallTimeout = stallTimeout
        }
    }

    private let queue: JobQueue

    public init(settings: Settings = Settings()) {
        queue = JobQueue()
        for index in 0..<settings.connections {
            let thread = Thread { [queue] in
                let easy = CurlEasy(settings: settings)
                while let job = queue.take() { job(easy) }
            }
            thread.name = "ktape-curl-\(index)"
            thread.start()
        }
    }

    deinit { queue.close() }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = queue.put { easy in
                continuation.resume(with: Result { try easy.perform(request) })
            }
            if !accepted {
                continuation.resume(throwing: HTTPTransportError(url: CurlEasy.redacted(request.url), reason: "the HTTP transport was shut down"))
            }
        }
    }
}

/// Work for the curl threads; `take` blocks until there is some or the queue is closed.
private final class JobQueue: @unchecked Sendable {
    typealias Job = (CurlEasy) -> Void
    private let condition = NSCondition()
    /// Taken slots are set to nil at once: a job holds its request body until it is released.
    private var jobs: [Job?] = []
    private var head = 0
    private var closed = false

    func put(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func take() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
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

    /// Threads finish the queued jobs, then exit.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
