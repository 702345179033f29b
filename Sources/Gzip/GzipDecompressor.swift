import CZlib

/// Streaming gzip reader. Reads any number of concatenated members (`cat a.gz b.gz`), checks each member's
/// CRC-32 and length (zlib does), and reports input that ends inside a member when `finish` is called.
public final class GzipDecompressor {
    private let stream: ZStream
    /// Whether the current member has started (bytes seen) but not ended.
    private var insideMember = false
    private var sawMember = false
    private var consumed = 0
    /// zlib writes here before output is appended to the caller's buffer; allocated once per stream.
    private let scratch: UnsafeMutableBufferPointer<UInt8>

    public init() throws(GzipError) {
        stream = try ZStream(mode: .inflate, windowBits: 16 + 15)  // gzip wrapper only
        scratch = .allocate(capacity: 64 * 1024)  // after the throwing call, so a failed init leaks nothing
    }

    deinit { scratch.deallocate() }

    /// Decompresses `input`, appending the output produced so far to `out`.
    public func decompress(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(GzipError) {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        let s = stream.pointer
        var offset = 0
        while offset < input.count {
            let n = min(input.count - offset, 1 << 30)
            s.pointee.next_in = UnsafeMutablePointer(mutating: base + offset)
            s.pointee.avail_in = uInt(n)
            // Loop while input remains, or while the last call filled the buffer (zlib may hold more output).
            var outputFull = false
            while s.pointee.avail_in > 0 || outputFull {
                if !insideMember {
                    guard s.pointee.avail_in > 0 else { break }
                    // A new member starts here; zlib needs a reset after the previous one's STREAM_END.
                    if sawMember { inflateReset(s) }
                    insideMember = true
                    sawMember = true
                }
                let before = Int(s.pointee.avail_in)
                s.pointee.next_out = scratch.baseAddress
                s.pointee.avail_out = uInt(scratch.count)
                let code = inflate(s, Z_NO_FLUSH)
                let produced = scratch.count - Int(s.pointee.avail_out)
                outputFull = s.pointee.avail_out == 0
                out.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<produced]))
                consumed += before - Int(s.pointee.avail_in)
                switch code {
                case Z_STREAM_END:
                    insideMember = false
                case Z_OK:
                    break
                case Z_BUF_ERROR:
                    outputFull = false  // no progress possible until more input arrives
                case Z_DATA_ERROR, Z_NEED_DICT:
                    throw GzipError.corrupt(atByte: consumed, reason: ZStream.message(s, code: code))
                default:
                    throw GzipError.zlib(function: "inflate", code: code, message: ZStream.message(s, code: code))
                }
            }
            offset += n
        }
    }

    /// Decompresses from the start of `input`, a slice of `slice` bytes at a time, until `out` has
    /// grown by `limit` bytes or more (after one slice at least) or the input is used up; returns how
    /// many input bytes were used. One call adds at most `limit` + `slice` × 1032 bytes (deflate's
    /// largest ratio) to `out`, so a chunk of highly repetitive data never inflates a thousandfold
    /// into memory at once.
    public func decompress(
        _ input: UnsafeRawBufferPointer, into out: inout [UInt8], limit: Int,
        slice: Int = 16 * 1024
    ) throws(GzipError) -> Int {
        let start = out.count
        var used = 0
        repeat {
            let end = min(input.count, used + max(1, slice))
            try decompress(UnsafeRawBufferPointer(rebasing: input[used..<end]), into: &out)
            used = end
        } while used < input.count && out.count - start < limit
        return used
    }

    /// `decompress` for bytes in an array.
    public func decompress(_ input: [UInt8], into out: inout [UInt8]) throws(GzipError) {
        let result: Result<Void, GzipError> = input.withUnsafeBytes { bytes in
            do throws(GzipError) { return .success(try decompress(bytes, into: &out)) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Ends the input: throws `.truncated` when it stopped inside a member or held none. `decompress` has already
    /// handed out all output zlib could produce.
    public func finish() throws(GzipError) {
        if insideMember || !sawMember { throw GzipError.truncated(afterBytes: consumed) }
    }
}
