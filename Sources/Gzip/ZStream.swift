import CZlib

/// Owns one heap-allocated z_stream (zlib keeps pointers into it, so it must not move) and ends it in deinit.
final class ZStream {
    enum Mode { case deflate, inflate }

    let pointer: UnsafeMutablePointer<z_stream>
    private let mode: Mode

    /// `windowBits` as zlib takes it: negative for raw deflate, 16 + 15 for gzip-only inflate.
    init(mode: Mode, level: Int32 = 6, windowBits: Int32) throws(GzipError) {
        // Set up in locals and throw before any stored property is set, so a failed init never runs deinit.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code: Int32
        switch mode {
        case .deflate:
            code = ktape_deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY)
        case .inflate:
            code = ktape_inflateInit2(stream, windowBits)
        }
        guard code == Z_OK else {
            let message = ZStream.message(stream, code: code)
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw GzipError.zlib(
                function: mode == .deflate ? "deflateInit2" : "inflateInit2", code: code,
                message: message)
        }
        pointer = stream
        self.mode = mode
    }

    deinit {
        switch mode {
        case .deflate: deflateEnd(pointer)
        case .inflate: inflateEnd(pointer)
        }
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    /// zlib's own message for the last error, else a name for the code.
    static func message(_ stream: UnsafeMutablePointer<z_stream>, code: Int32) -> String {
        if let msg = stream.pointee.msg { return String(cString: msg) }
        switch code {
        case Z_MEM_ERROR: return "out of memory"
        case Z_VERSION_ERROR: return "incompatible zlib version"
        case Z_STREAM_ERROR: return "invalid stream state or parameter"
        case Z_DATA_ERROR: return "invalid data"
        case Z_BUF_ERROR: return "no progress possible"
        default: return "error code \(code)"
        }
    }
}
