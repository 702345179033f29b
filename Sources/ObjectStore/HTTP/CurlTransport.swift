import Foundation
import Threads

/// `HTTPTransport` over libcurl. Requests run on a small pool of dedicated threads, each with its
/// own easy handle (so connections are reused per thread); the async caller is resumed when the
/// exchange ends, so no blocking call ever runs on Swift's cooperative pool.
public final class CurlTransport: HTTPTransport, Sendable {
    public struct Settings: Sendable {
        /// Requests in flight at once (one thread and one connection each).
        public var connections: Int
        /// PEM bundle of trusted CAs; `AWS_CA_BUNDLE` by default, else the system's.
        public var caBundle: String?
        public var connectTimeout: Double
        /// Seconds without a byte moving before a transfer counts as dropped.
        public var stallTimeout: Double

        public init(
            connections: Int = 8, caBundle: String? = ProcessInfo.processInfo.environment["AWS_CA_BUNDLE"],
            connectTimeout: Double = 10, stallTimeout: Double = 30
        ) {
            self.connections = max(1, connections)
            self.caBundle = caBundle.flatMap { $0.isEmpty ? nil : $0 }
            self.connectTimeout = connectTimeout
            self.stallTimeout = stallTimeout
        }
    }

    private let queue = JobQueue<(CurlEasy) -> Void>()
    /// Left by each thread once its handle is cleaned up.
    private let threadsDone = DispatchGroup()

    public init(settings: Settings = Settings()) {
        for index in 0..<settings.connections {
            threadsDone.enter()
            let thread = Thread { [queue, threadsDone] in
                Self.serve(queue, settings: settings)
                threadsDone.leave()
            }
            thread.name = "ktape-curl-\(index)"
            thread.start()
        }
    }

    /// Returns once the threads have cleaned their handles up. ktape exits right after its store
    /// goes away, and exit runs OpenSSL's cleanup (an atexit handler) on the main thread: a
    /// curl_easy_cleanup still freeing a TLS connection on another thread then frees into torn-down
    /// OpenSSL state, heap corruption (issue 19: `ktape ls` aborted in malloc_consolidate).
    deinit {
        queue.close()
        _ = threadsDone.wait(timeout: .now() + 10)
    }

    /// One thread's life: its own easy handle, used for every job it takes, cleaned up on return.
    private static func serve(_ queue: JobQueue<(CurlEasy) -> Void>, settings: Settings) {
        let easy = CurlEasy(settings: settings)
        while let job = queue.take() { job(easy) }
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            let (accepted, _) = queue.put { easy in
                continuation.resume(with: Result { try easy.perform(request) })
            }
            if !accepted {
                continuation.resume(
                    throwing: HTTPTransportError(url: CurlEasy.redacted(request.url), reason: "the HTTP transport was shut down"))
            }
        }
    }
}
