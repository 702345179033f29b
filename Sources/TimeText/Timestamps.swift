import Foundation

/// RFC 3339 times: written as ktape writes them (UTC, milliseconds), read with any offset. Computed
/// here rather than by Foundation's calendar and ISO 8601 formatter, which go through ICU and cost
/// tens of microseconds a call (72 µs to make a formatter and parse one time): a restore writes one
/// per partition into its state documents, and an S3 listing carries one per object.
public enum Timestamps {
    /// `2026-11-24T12:29:14.123Z`.
    public static func rfc3339(_ date: Date) -> String { text(UTCTime(date), separated: true, milliseconds: true) }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (`t` and `z` too, as RFC 3339
    /// allows; offsets also as `+HHMM` or `+HH`); nil for anything else, including a day the month
    /// does not have.
    public static func parseRFC3339(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var value = 0
            for k in i..<(i + width) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            i += width
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard i < b.count, characters.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect("Tt"),
            let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
            (1...12).contains(month), (1...UTCTime.daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        // The fraction in nanoseconds (digits past the ninth are dropped).
        var nanos: Int64 = 0
        var scale: Int64 = 100_000_000
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                nanos += Int64(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds = 0
        if expect("Zz") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            // +HH:MM, and ISO 8601's +HHMM and +HH, which Foundation's formatter read too.
            guard let hours = number(2), hours < 24 else { return nil }
            var minutes = 0
            if i < b.count {
                _ = expect(":")
                guard let given = number(2), given < 60 else { return nil }
                minutes = given
            }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds =
            UTCTime.days(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        // Whole milliseconds through an exact integer, so a time written as `.123` reads back as the
        // same Date that was written.
        if nanos % 1_000_000 == 0 { return Date(timeIntervalSince1970: Double(seconds * 1000 + nanos / 1_000_000) / 1000) }
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
    }

    /// `20261124T122914.123Z` (UTC, milliseconds): fixed width, so such texts sort by time.
    public static func compact(_ date: Date) -> String { text(UTCTime(date), separated: false, milliseconds: true) }

    /// `2026-11-24T12:29:14Z`: whole seconds (the milliseconds dropped), as S3 takes dates in headers.
    public static func rfc3339Seconds(_ date: Date) -> String {
        text(UTCTime(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))), separated: true, milliseconds: false)
    }

    /// `t` as date `T` time `Z`, with `-` and `:` between the fields or not, and milliseconds or not.
    private static func text(_ t: UTCTime, separated: Bool, milliseconds: Bool) -> String {
        let dash = separated ? "-" : ""
        let colon = separated ? ":" : ""
        return digits(t.year, 4) + dash + digits(t.month, 2) + dash + digits(t.day, 2) + "T" + digits(t.hour, 2) + colon
            + digits(t.minute, 2) + colon + digits(t.second, 2) + (milliseconds ? "." + digits(t.millisecond, 3) : "") + "Z"
    }

    /// `value` in decimal, zero-padded to `width` digits.
    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

/// A time's UTC calendar fields, to whole milliseconds (rounded), in the proleptic Gregorian
/// calendar (days from the epoch by Howard Hinnant's `days_from_civil` and its inverse).
struct UTCTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int

    init(_ date: Date) {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = totalMillis.floorDivided(by: 1000)
        millisecond = Int(totalMillis - seconds * 1000)
        let days = seconds.floorDivided(by: 86_400)
        let inDay = Int(seconds - days * 86_400)
        hour = inDay / 3600
        minute = inDay % 3600 / 60
        second = inDay % 60
        // civil_from_days
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
    }

    /// Days from 1970-01-01 to the given date (days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let doy = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

private extension Int64 {
    /// Division rounding towards negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let (q, r) = quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? q - 1 : q
    }
}
