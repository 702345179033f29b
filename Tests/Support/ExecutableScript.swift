import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes test scripts that other processes execute. Written through Foundation, the file's
/// descriptor has no close-on-exec flag, so a child another test spawns at that moment keeps it open
/// for writing, and executing the script then fails with ETXTBSY ("Text file busy"), seen in CI.
public enum ExecutableScript {
    public static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            written += n
        }
        // The mode given to open is masked by the umask.
        guard fchmod(fd, 0o755) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
