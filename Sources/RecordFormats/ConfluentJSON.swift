/// The `confluent-json` format (`.json`): Confluent's JsonFormat with `schemas.enable=false`, one JSON value per
/// `\n`-terminated line, value only. ktape keeps each value as written, only compacted; see docs/formats.md for
/// where that differs from Confluent's Jackson output.
///
/// A struct because it keeps a scratch stack between records (no per-record allocation); not thread-safe.
public struct ConfluentJSONCodec {
    private var stack: [UInt8] = []

    public init() {}

    /// Appends the compact line (with `\n`) for a record value. Throws when the value is null, not UTF-8 or not
    /// exactly one JSON value (surrounding whitespace allowed); `out` is then left as it was.
    public mutating func appendLine(value: UnsafeRawBufferPointer?, to out: inout [UInt8]) throws(RecordLineError) {
        guard let value else { throw RecordLineError(column: 1, reason: .nullValue) }
        let mark = out.count
        do throws(RecordLineError) {
            try compact(value, into: &out)
        } catch {
            out.removeSubrange(mark...)
            throw error
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// `appendLine` for a value held in an array.
    public mutating func appendLine(value: [UInt8]?, to out: inout [UInt8]) throws(RecordLineError) {
        guard let value else { throw RecordLineError(column: 1, reason: .nullValue) }
        let result: Result<Void, RecordLineError> = value.withUnsafeBytes { bytes in
            do throws(RecordLineError) { return .success(try appendLine(value: bytes, to: &out)) } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The record value carried by one line (without or with its `\n`, a trailing `\r` tolerated), compacted the
    /// same way the encoder compacts.
    public mutating func decodeLine(_ line: UnsafeRawBufferPointer) throws(RecordLineError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        try compact(line, into: &out)
        return out
    }

    /// `decodeLine` for a line held in an array.
    public mutating func decodeLine(_ line: [UInt8]) throws(RecordLineError) -> [UInt8] {
        let result: Result<[UInt8], RecordLineError> = line.withUnsafeBytes { bytes in
            do throws(RecordLineError) { return .success(try decodeLine(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Validates `bytes` as one UTF-8 JSON value and appends it compacted (no newline).
    mutating func compact(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(RecordLineError) {
        var cursor = JSONCursor(bytes)
        if let bad = UTF8Validation.invalidIndex(cursor.p, count: cursor.count) {
            throw cursor.error(.invalidUTF8, at: bad)
        }
        try cursor.compactValue(into: &out, emit: true, stack: &stack)
        if cursor.peekSignificant() != nil { throw cursor.error(.trailingData) }
    }
}
