import Foundation  // memchr (vectorised by libc)

/// Splits a stream of chunks into `\n`-terminated lines. Lines that lie inside one chunk are handed out as views
/// into it (no copy); only a line crossing chunk boundaries is gathered in a carry buffer, which grows by
/// appending, so a megabyte line over many small chunks costs linear time.
public struct LineSplitter {
    private var carry: [UInt8] = []
    /// Lines handed out so far, for error messages (1-based number of the next line is `linesEmitted + 1`).
    public private(set) var linesEmitted = 0

    public init() {}

    /// Bytes of a line begun in an earlier chunk, waiting for its end.
    public var carried: Int { carry.count }

    /// Calls `body` with each line completed by `chunk`, without its `\n`. The view is valid only during the call.
    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        _ = try feed(chunk, budget: .max, body)
    }

    /// `feed` that stops after the line that brings the bytes handed out in this call to `budget` or
    /// more; returns how much of `chunk` it used (all of it, or up to just past that line's `\n`), so
    /// that the rest can be fed later.
    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer, budget: Int,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> Int {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let count = chunk.count
        var start = 0
        var handedOut = 0
        while start < count && handedOut < budget {
            guard let newline = Self.firstNewline(base + start, count - start) else {
                carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: count - start))
                return count
            }
            let end = start + newline
            if carry.isEmpty {
                linesEmitted += 1
                handedOut += end - start
                try body(UnsafeRawBufferPointer(start: base + start, count: end - start))
            } else {
                carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
                linesEmitted += 1
                handedOut += carry.count
                defer { carry.removeAll(keepingCapacity: carry.capacity <= 1 << 20) }
                try carry.withUnsafeBytes { try body($0) }
            }
            start = end + 1
        }
        return start
    }

    /// `feed` that returns the completed lines as arrays (convenient, but copies each line).
    public mutating func feed(_ chunk: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        chunk.withUnsafeBytes { bytes in feed(bytes) { lines.append(Array($0)) } }
        return lines
    }

    /// Ends the stream: returns the bytes after the last `\n` (a final line without its newline, which ktape
    /// never writes, so callers report it), or nil when the stream ended cleanly.
    public mutating func finish() -> [UInt8]? {
        defer { carry = [] }
        return carry.isEmpty ? nil : carry
    }

    private static func firstNewline(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        guard let hit = memchr(p, 0x0A, n) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(p)
    }
}
