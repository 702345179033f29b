/// Word-at-a-time tests over eight bytes of JSON text (loaded little-endian, so the lowest byte is the
/// first in memory). Each returns a word whose lowest set bit is the high bit of the first byte that
/// matches, or 0 when none does. A test can also flag bytes after its first match (a borrow runs
/// upwards), never before it, so the lowest set bit, and that of an OR of tests, is exact.
enum JSONWords {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }

    @inline(__always)
    static func bytesBelow0x20(_ x: UInt64) -> UInt64 { (x &- ones &* 0x20) & ~x & highs }

    /// `\`.
    @inline(__always)
    static func backslash(_ x: UInt64) -> UInt64 { zeroBytes(x ^ (ones &* 0x5C)) }

    /// `"`, `\` or a control character: where a JSON string ends or needs a closer look.
    @inline(__always)
    static func quoteBackslashOrControl(_ x: UInt64) -> UInt64 {
        bytesBelow0x20(x) | zeroBytes(x ^ (ones &* 0x22)) | backslash(x)
    }

    /// Anything an encoder must look at: not ASCII, a control character, `"` or `\`.
    @inline(__always)
    static func needsEscapeCheck(_ x: UInt64) -> UInt64 { (x & highs) | quoteBackslashOrControl(x) }

    /// Copies bytes from `source[k...]` to `o`, eight at a time, while none of the eight matches
    /// `stops`; leaves `k` and `o` at the first byte that does, or where fewer than eight remain
    /// before `limit`. Words are copied whole, so `o` needs room for eight bytes past what it keeps:
    /// callers keep `o` no further ahead of its start than `k` is of its own, which gives that room.
    @inline(__always)
    static func copyPlain(
        _ source: UnsafePointer<UInt8>, _ k: inout Int, limit: Int,
        to o: inout UnsafeMutablePointer<UInt8>, stops: (UInt64) -> UInt64
    ) {
        while k + 8 <= limit {
            let word = UnsafeRawPointer(source + k).loadUnaligned(as: UInt64.self)
            UnsafeMutableRawPointer(o).storeBytes(of: word, as: UInt64.self)
            let stop = stops(word)
            if stop != 0 {
                let plain = stop.trailingZeroBitCount >> 3
                o += plain
                k += plain
                return
            }
            o += 8
            k += 8
        }
    }
}
