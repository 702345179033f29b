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
        return HTTPResponse(status: status, headers: [("date", formatter.string(from: date))], body: Array(body.utf8))
    }

    @Test func aServerWithinTheNoiseLeavesTheClockAlone() {
        let clock = ServerClock()
        #expect(!clock.observe(Self.dated(Date().addingTimeInterval(1)), sent: Date()))
        #expect(clock.offsetSeconds == 0)
        #expect(clock.observe(Self.dated(Date().addingTimeInterval(-300)), sent: Date()))
        #expect(abs(clock.offsetSeconds + 300) < 2, "\(clock.offsetSeconds)")
    }

    /// A host 20 minutes behind: S3 refuses the first request (RequestTimeTooSkewed, 403); the
    /// retry is signed by the server's time and goes through, and later requests are signed so too.
    /// (The scripted answers' Date is fixed when they are made: a loaded machine delivers them
    /// seconds later, so the offsets are compared loosely.)
    @Test func aRequestRefusedForTheHostsClockIsSignedAgainByTheServers() async throws {
        let ahead = Date().addingTimeInterval(1_200)
        let transport = S3RetryTests.ScriptedTransport([
            .success(
                Self.dated(
                    ahead, status: 403,
                    body:
                        "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>"
                )),
            .success(Self.dated(ahead))
        ])
        let store = try S3RetryTests().store(transport)
        _ = try await store.get("k")
        #expect(transport.requests.count == 2)
        let signed = try #require(transport.requests.last?.headers.first { $0.name == "x-amz-date" }?.value)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let date = try #require(formatter.date(from: signed))
        #expect(abs(date.timeIntervalSince(ahead)) < 60, "signed \(signed), server at \(ahead)")
        #expect(abs(store.clockOffset - 1_200) < 60, "\(store.clockOffset)")
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
        let ahead = Date().addingTimeInterval(-1_500)
        let formatter = ISO8601DateFormatter()
        let body =
            "<Error><Code>RequestTimeTooSkewed</Code><Message>too large</Message><ServerTime>\(formatter.string(from: ahead))</ServerTime></Error>"
        let transport = S3RetryTests.ScriptedTransport([
            .success(HTTPResponse(status: 403, headers: [], body: Array(body.utf8))),
            .success(HTTPResponse(status: 200, headers: [], body: []))
        ])
        let store = try S3RetryTests().store(transport)
        _ = try await store.get("k")
        #expect(transport.requests.count == 2)
        #expect(abs(store.clockOffset + 1_500) < 60, "\(store.clockOffset)")
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
