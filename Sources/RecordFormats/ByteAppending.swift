/// Allocation-free appends of literals and integers onto a caller-owned byte buffer.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLiteral(_ s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    /// Appends `n` in decimal, without building a String.
    mutating func appendDecimal(_ n: Int64) {
        var magnitude = n.magnitude  // UInt64, so Int64.min needs no special case
        if n < 0 { append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch for up to 20 digits
        Swift.withUnsafeMutableBytes(of: &digits) { scratch in
            var end = scratch.count
            repeat {
                end -= 1
                scratch[end] = UInt8(truncatingIfNeeded: magnitude % 10) + UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude != 0
            append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[end...]).bindMemory(to: UInt8.self))
        }
    }
}
