import CZlib

/// Streaming gzip writer whose output depends only on the input bytes and the level (for a given zlib build):
/// a fixed 10-byte header (no mtime, no file name, OS byte 255 "unknown") written by hand around raw deflate,
/// so the same records always give the same object. (Backups write their objects with `GzipBlocks`.)
public final class GzipCompressor {
    /// The gzip header ktape writes: magic, CM=8 (deflate), no flags, MTIME=0, XFL=0, OS=255.
    public static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]

    private let stream: ZStream
    private var crc: UInt = crc32(0, nil, 0)
    private var inputLength: UInt32 = 0  // ISIZE is the length modulo 2^32
    private var wroteHeader = false
    private var finished = false
    /// zlib writes here before output is appended to the caller's buffer; allocated once per stream.
    private let scratch: UnsafeMutableBufferPointer<UInt8>

    /// A compressor at zlib `level`, 6 (gzip's default) unless told.
    public init(level: Int32 = 6) throws(GzipError) {
        stream = try ZStream(mode: .deflate, level: level, windowBits: -15)
        scratch = .allocate(capacity: 64 * 1024)  // after the throwing call, so a failed init leaks nothing
    }

    deinit { scratch.deallocate() }

    /// Compresses `input`, appending whatever output zlib produces so far to `out`.
    public func compress(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(GzipError) {
        guard !finished else { throw GzipError.alreadyFinished }
        if !wroteHeader {
            out.append(contentsOf: Self.header)
            wroteHeader = true
        }
        guard let base = input.baseAddress, input.count > 0 else { return }
        // zlib's counters are 32-bit (uInt), so feed at most 1 GiB at a time.
        var offset = 0
        while offset < input.count {
            let n = min(input.count - offset, 1 << 30)
            let piece = base.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            crc = crc32(crc, piece, uInt(n))
            inputLength &+= UInt32(truncatingIfNeeded: n)
            stream.pointer.pointee.next_in = UnsafeMutablePointer(mutating: piece)
            stream.pointer.pointee.avail_in = uInt(n)
            try run(flush: Z_NO_FLUSH, into: &out)
            offset += n
        }
    }

    /// `compress` for bytes in an array.
    public func compress(_ input: [UInt8], into out: inout [UInt8]) throws(GzipError) {
        let result: Result<Void, GzipError> = input.withUnsafeBytes { bytes in
            do throws(GzipError) { return .success(try compress(bytes, into: &out)) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Flushes the deflate stream and appends the CRC-32 and length trailer. The compressor is done afterwards.
    public func finish(into out: inout [UInt8]) throws(GzipError) {
        guard !finished else { throw GzipError.alreadyFinished }
        if !wroteHeader {
            out.append(contentsOf: Self.header)
            wroteHeader = true
        }
        stream.pointer.pointee.next_in = nil
        stream.pointer.pointee.avail_in = 0
        try run(flush: Z_FINISH, into: &out)
        finished = true
        let crc32 = UInt32(truncatingIfNeeded: crc)
        for value in [crc32, inputLength] {
            out.append(UInt8(truncatingIfNeeded: value))
            out.append(UInt8(truncatingIfNeeded: value >> 8))
            out.append(UInt8(truncatingIfNeeded: value >> 16))
            out.append(UInt8(truncatingIfNeeded: value >> 24))
        }
    }

    /// Runs deflate until it has taken all input and has no more output to give (with Z_FINISH: until the end).
    private func run(flush: Int32, into out: inout [UInt8]) throws(GzipError) {
        let s = stream.pointer
        while true {
            s.pointee.next_out = scratch.baseAddress
            s.pointee.avail_out = uInt(scratch.count)
            let code = deflate(s, flush)
            guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else {
                throw GzipError.zlib(function: "deflate", code: code, message: ZStream.message(s, code: code))
            }
            let produced = scratch.count - Int(s.pointee.avail_out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<produced]))
            if flush == Z_FINISH {
                if code == Z_STREAM_END { return }
            } else if s.pointee.avail_out != 0 {
                return  // room was left, so zlib took all input and has nothing pending
            }
        }
    }
}
