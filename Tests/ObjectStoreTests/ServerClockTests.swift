import Foundation
import Testing

@testable import ObjectStore

/// Requests signed, and leases timed, by the S3 server's clock as its `Date` headers give it.
@Suite struct ServerClockTests {
    /// The hand-read IMF-fixdate agrees with DateFormatter's reading, leap days and century years included.
    @Test(arguments: [
        "Sun, 06 Dec 2026 14:05:09 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Tue, 29 Feb 2000 23:59:59 GMT",
        "Mon, 01 Mar 2100 12:00:00 GMT", "Fri, 31 Dec 2049 06:30:01 GMT"
    ])
    func imfFixdatesReadAsDateFormatterReadsThem(_ text: String) throws {
        let expected = try #require(S3Dates.httpDate(text))
        #expect(ServerClock.imfFixdate(text) == expected)
    }

    @Test(arguments: [
        "", "Sun, 06 Dec 2026 14:05:09 UTC", "Sunday, 06-Dec-26 14:05:09 GMT", "Sun, 06 Xyz 2026 14:05:09 GMT",
        "Sun, 6 Dec 2026 14:05:09 GMT", "Sun, 06 Dec 2026 24:05:09 GMT"
    ])
    func otherFormsAreNotGuessed(_ text: String) {
        #expect(ServerClock.imfFixdate(text) == nil)
    }

    static func dated(_ date: Date, status: Int = 200, body: String = "") -> HTTPResponse {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return HTTPResponse(
            status: status, headers: [("date", formatter.string(from: date)), ("content-length", String(body.utf8.count))],
            body: Array(body.utf8))
    }

    @Test func aServerWithinTheNoiseLeavesTheClockAlone() {
        let clock = ServerClock()
        let now = Date()
        #expect(!clock.observe(Self.dated(now.addingTimeInterval(1)), sent: now, received: now))
        #expect(clock.offsetSeconds == 0)
        #expect(clock.observe(Self.dated(now.addingTimeInterval(-300)), sent: now, received: now))
        #expect(abs(clock.offsetSeconds + 300) < 2, "\(clock.offsetSeconds)")
    }

    /// A server whose clock is `offset` seconds ahead of this host's, its time read when each
    /// request arrives (a loaded test machine can take many seconds between requests): answers
    /// `first` (status and body) once, then 200s, each with a `Date` header unless `dated` is false.
    final class ServerAhead: HTTPTransport, @unchecked Sendable {
        let offset: TimeInterval
        private let lock = NSLock()
        private var first: (status: Int, body: String)?
        private let dated: Bool
        /// Each request, with the server's time when it came.
        private(set) var requests: [(request: HTTPRequest, serverTime: Date)] = []

        init(offset: TimeInterval, first: (status: Int, body: String), dated: Bool = true) {
            self.offset = offset
            self.first = first
            self.dated = dated
        }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let serverTime = Date().addingTimeInterval(offset)
            let answer = lock.withLock {
                requests.append((request, serverTime))
                defer { first = nil }
                return first ?? (200, "")
            }
            let response = ServerClockTests.dated(serverTime, status: answer.status, body: answer.body)
            return dated ? response : HTTPResponse(status: response.status, headers: [], body: response.body)
        }
    }

    static func signedDate(_ request: HTTPRequest) throws -> Date {
        let text = try #require(request.headers.first { $0.name == "x-amz-date" }?.value)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return try #require(formatter.date(from: text))
    }

    /// A host 20 minutes behind: S3 refuses the first request (RequestTimeTooSkewed, 403); the
    /// retry is signed by the server's time and goes through, and later requests are signed so too.
    @Test func aRequestRefusedForTheHostsClockIsSignedAgainByTheServers() async throws {
        let transport = ServerAhead(
            offset: 1_200,
            first: (
                403,
                "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>"
            ))
        let store = try S3RetryTests().store(transport)
        _ = try await store.get("k")
        #expect(transport.requests.count == 2)
        let retry = try #require(transport.requests.last)
        // Within the header's rounding and the moment between signing and sending.
        #expect(abs(try Self.signedDate(retry.request).timeIntervalSince(retry.serverTime)) < 5)
        #expect(abs(store.clockOffset - 1_200) < 5, "\(store.clockOffset)")
    }

    /// A HEAD's 403 has no body to name the clock: when its Date header is further from the signing
    /// time than S3's 15 minutes allow (the host clock stepped mid-run), it is signed again by the
    /// server's time, not reported as access denied; a bodiless 403 from a server that agrees is not.
    @Test func aBodilessRefusalFromAServerFarInTimeIsSignedAgain() async throws {
        let transport = ServerAhead(offset: 1_200, first: (403, ""))
        let store = try S3RetryTests().store(transport)
        _ = try await store.head("k")
        #expect(transport.requests.count == 2)
        #expect(abs(try Self.signedDate(transport.requests[1].request).timeIntervalSince(transport.requests[1].serverTime)) < 5)
        let agreeing = ServerAhead(offset: 0, first: (403, ""))
        let error = await #expect(throws: StoreError.self) { _ = try await S3RetryTests().store(agreeing).head("k") }
        #expect(error?.kind == .accessDenied)
        #expect(agreeing.requests.count == 1)
    }

    /// A server `offset` seconds ahead that refuses every request signed more than 15 minutes off its
    /// clock, as S3 does: RequestTimeTooSkewed, or a bare 403 for a HEAD.
    ///
    /// The first `together` requests are answered only once all of them have come (or after 60 s):
    /// every one was signed before any answer taught the client the offset, however slowly the
    /// machine runs them. (A 20 ms wait instead left it to the load.)
    final class SkewCheckingServer: HTTPTransport, @unchecked Sendable {
        let offset: TimeInterval
        let together: Int
        private let lock = NSLock()
        private(set) var refused = 0
        private var arrived = 0
        private var held: [CheckedContinuation<Void, Never>] = []

        init(offset: TimeInterval, together: Int) {
            self.offset = offset
            self.together = together
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(60))
                self?.releaseAll()
            }
        }

        private func releaseAll() {
            let waiting = lock.withLock {
                arrived = max(arrived, together)
                defer { held = [] }
                return held
            }
            for continuation in waiting { continuation.resume() }
        }

        private func gather() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let release = lock.withLock { () -> [CheckedContinuation<Void, Never>]? in
                    arrived += 1
                    if arrived > together { return [continuation] }
                    held.append(continuation)
                    guard arrived == together else { return nil }
                    defer { held = [] }
                    return held
                }
                for waiting in release ?? [] { waiting.resume() }
            }
        }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            await gather()
            let serverTime = Date().addingTimeInterval(offset)
            guard abs(try ServerClockTests.signedDate(request).timeIntervalSince(serverTime)) <= 900 else {
                lock.withLock { refused += 1 }
                let body = request.method == "HEAD" ? "" : "<Error><Code>RequestTimeTooSkewed</Code></Error>"
                return ServerClockTests.dated(serverTime, status: 403, body: body)
            }
            return ServerClockTests.dated(serverTime, body: request.method == "HEAD" ? "" : "x")
        }
    }

    /// A clock step meets several requests in flight: each refused one is signed again, not only the
    /// one whose answer taught the client the new offset (the others stopped the run: "access
    /// denied" for HEADs, "too far from the store's" for GETs, exit 2).
    @Test(arguments: ["HEAD", "GET"])
    func everyRequestInFlightRefusedForTheClockIsSignedAgain(method: String) async throws {
        let server = SkewCheckingServer(offset: 1_200, together: 8)
        let store = try S3RetryTests().store(server)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<8 {
                group.addTask {
                    if method == "HEAD" { _ = try await store.head("k\(n)") } else { _ = try await store.get("k\(n)") }
                }
            }
            try await group.waitForAll()
        }
        #expect(server.refused == 8)
    }

    /// A refusal that is not about time is not retried, whatever the header says.
    @Test func accessDeniedIsNotRetriedForTheClock() async throws {
        let transport = S3RetryTests.ScriptedTransport([
            .success(Self.dated(Date().addingTimeInterval(1_200), status: 403, body: "<Error><Code>AccessDenied</Code></Error>"))
        ])
        let error = await #expect(throws: StoreError.self) { _ = try await S3RetryTests().store(transport).get("k") }
        #expect(error?.kind == .accessDenied)
        #expect(transport.requests.count == 1)
    }

    /// Without a `Date` header, the error's own `<ServerTime>` gives the server's time.
    @Test func theErrorsServerTimeServesWhenThereIsNoDateHeader() async throws {
        let behind = Date().addingTimeInterval(-1_500)
        let body =
            "<Error><Code>RequestTimeTooSkewed</Code><Message>too large</Message><ServerTime>\(ISO8601DateFormatter().string(from: behind))</ServerTime></Error>"
        let transport = ServerAhead(offset: -1_500, first: (403, body), dated: false)
        let store = try S3RetryTests().store(transport)
        _ = try await store.get("k")
        #expect(transport.requests.count == 2)
        // The body's time was fixed when the test began; a loaded machine answers later, so loosely.
        #expect(store.clockOffset < -1_000, "\(store.clockOffset)")
    }

    /// A refusal for the time that tells no time is named as such, not as missing permissions.
    @Test func aRefusalForTheTimeWithNoTimeInItNamesTheClock() async throws {
        let transport = S3RetryTests.ScriptedTransport([
            .success(HTTPResponse(status: 403, headers: [], body: Array("<Error><Code>RequestTimeTooSkewed</Code></Error>".utf8)))
        ])
        let error = await #expect(throws: StoreError.self) { _ = try await S3RetryTests().store(transport).get("k") }
        #expect(error?.kind == .clockSkew)
        #expect(error?.description.contains("this host's clock is too far from the store's") == true, "\(String(describing: error))")
        #expect(transport.requests.count == 1)
    }
}
