/// A gzip stream could not be written or read.
public enum GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended inside a gzip member (or held no member at all).
    case truncated(afterBytes: Int)
    /// The input is not gzip, or its deflate data or CRC-32/length trailer is wrong.
    case corrupt(atByte: Int, reason: String)
    /// `compress` or `finish` was called on a compressor that had already finished.
    case alreadyFinished
    /// zlib refused an operation for another reason (out of memory, a version mismatch).
    case zlib(function: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .truncated(let n): return "gzip data is truncated: it ends inside a member after \(n) bytes"
        case .corrupt(let at, let reason): return "gzip data is corrupt near byte \(at): \(reason)"
        case .alreadyFinished: return "gzip compressor used after finish (a programming error in the caller)"
        case .zlib(let function, let code, let message): return "zlib \(function) failed (\(code)): \(message)"
        }
    }
}
