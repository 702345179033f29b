import Foundation

/// This host's clock corrected to an S3 server's, from the `Date` header of each answer (RFC 9110
/// asks every origin server with a clock to send one). Differences under two seconds are taken for
/// the header's rounding and network time, and ignored.
final class ServerClock: Sendable {
    private let offset = Locked<TimeInterval>(0)

    /// Seconds the server's clock is ahead of this host's (0 while they agree).
    var offsetSeconds: TimeInterval { offset.withLock { $0 } }

    /// Now, by the server's clock.
    func now() -> Date { Date().addingTimeInterval(offsetSeconds) }

    /// Learns the offset from `response` to a request sent at `sent` (the header is the time the
    /// server answered, in whole seconds; with `body`, an error's `<ServerTime>` when there is no
    /// header); returns whether the offset changed by more than the noise.
    @discardableResult
    func observe(_ response: HTTPResponse, sent: Date, received: Date = Date(), body: Bool = false) -> Bool {
        let stated =
            response.header("date").flatMap(Self.imfFixdate)
            ?? (body ? XMLElement.parse(response.body)?.value("ServerTime").flatMap(S3Dates.isoDate) : nil)
        guard let server = stated else { return false }
        // The answer left between sending and receiving; its header is rounded down to the second.
        let local = sent.addingTimeInterval(received.timeIntervalSince(sent) / 2)
        let measured = server.addingTimeInterval(0.5).timeIntervalSince(local)
        return offset.withLock { current in
            let next = abs(measured) < Self.noise ? 0 : measured
            guard abs(next - current) >= Self.noise else { return false }
            current = next
            return true
        }
    }

    static let noise: TimeInterval = 2

    /// `Sun, 06 Dec 2026 14:05:09 GMT` (RFC 9110's IMF-fixdate, the form servers send), read by hand:
    /// a DateFormatter per answer would cost more than many a request. Nil for any other form.
    static func imfFixdate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 29, b[3] == UInt8(ascii: ","), b[4] == 32, b[7] == 32, b[11] == 32, b[16] == 32, b[19] == UInt8(ascii: ":"),
            b[22] == UInt8(ascii: ":"), b[25] == 32, b[26...28].elementsEqual("GMT".utf8)
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let day = number(5..<7), let year = number(12..<16), let hour = number(17..<19), let minute = number(20..<22),
            let second = number(23..<25), let month = months.firstIndex(where: { b[8..<11].elementsEqual($0.utf8) }),
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let m = month + 1
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }
}
