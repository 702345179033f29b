import Failures
import Foundation
import JobSpec

/// The files a run writes when it ends (`--summary-json`, `--metrics-file`): checked before any
/// work, so a mistyped path cannot fail a run that has already done it all; written with the
/// system's own words for what went wrong.
enum OutputFiles {
    /// Refuses (exit 2) what a run could not write when it ends: a directory, a missing or read-only
    /// directory, a file it may not write. `--metrics-file` is replaced whole (a temp file renamed
    /// over it), so it must be a regular file, or none yet, in a directory this user may write;
    /// `--summary-json` is written in place, so a device or an existing writable file will do.
    static func check(_ common: CommonSettings) throws {
        let files = [("summary-json", common.summaryJSON?.value, false), ("metrics-file", common.metricsFile?.value, true)]
        for case (let flag, let path?, let replaced) in files {
            if let problem = problem(with: path, replacedWhole: replaced) {
                throw RunFailure.invalidInput("\(flag) \(path): \(problem)")
            }
        }
    }

    /// Why `path` cannot be written as a file, or nil. Nothing is opened (a FIFO would block).
    static func problem(with path: String, replacedWhole: Bool) -> String? {
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists && info.st_mode & S_IFMT == S_IFDIR { return "is a directory; name a file in it" }
        if exists && replacedWhole && info.st_mode & S_IFMT != S_IFREG {
            return "is not a regular file (it is replaced by a new file each run)"
        }
        if exists && !replacedWhole && info.st_mode & S_IFMT == S_IFIFO && standardStream(path) == nil {
            return "is a FIFO; name a file"
        }
        // The directory the file lives in (a symbolic link's target's, for a file replaced whole).
        let target = replacedWhole ? resolved(path) : path
        let parent = (target as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        guard stat(directory, &info) == 0 else {
            let code = errno
            return code == ENOENT
                ? "the directory \(directory) does not exist" : "cannot use the directory \(directory): \(reason(code))"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(directory) is not a directory" }
        let writable = exists && !replacedWhole ? access(path, W_OK) == 0 : access(directory, W_OK) == 0
        return writable ? nil : "cannot write \(exists && !replacedWhole ? path : "in " + directory): \(reason(errno))"
    }

    /// `path` with symbolic links followed, where it exists: a file replaced whole is replaced at the
    /// link's target, so that the link stays.
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// The standard output or error stream that `path` names (`/dev/stdout`, `/proc/self/fd/2`, the
    /// file stdout is redirected to): the same file as descriptor 1 or 2, open for writing (a closed
    /// one is reopened read-only on /dev/null, which `--summary-json /dev/null` must still reach).
    static func standardStream(_ path: String) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int32(1), 2].first { fd in
            var stream = stat()
            return fstat(fd, &stream) == 0 && stream.st_dev == info.st_dev && stream.st_ino == info.st_ino
                && fcntl(fd, F_GETFL) & O_ACCMODE != O_RDONLY
        }
    }

    /// Replaces the file at `path` with `data`; a failure is `what` (the flag and the path the user
    /// gave), "cannot write" and the system's reason. A path naming stdout or stderr is written to
    /// that stream, after what was printed to it: opened anew and truncated, a redirected stdout's
    /// file would get the data at its start, under the lines printed later.
    static func write(_ data: Data, to path: String, as what: String) throws {
        func failure(_ code: Int32) -> RunFailure { .failure("\(what): cannot write: \(reason(code))") }
        if let stream = standardStream(path) {
            fflush(nil)  // every stream: what was printed comes first
            let code = writeAll(data, to: stream)
            if code != 0 { throw failure(code) }
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        let code = writeAll(data, to: fd)
        if code != 0 {
            close(fd)
            throw failure(code)
        }
        guard close(fd) == 0 else { throw failure(errno) }
    }

    /// Writes all of `data` to `fd`; the error code, or 0.
    private static func writeAll(_ data: Data, to fd: Int32) -> Int32 {
        var written = 0
        return data.withUnsafeBytes { bytes in
            while written < bytes.count {
                let result = Foundation.write(fd, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return 0
        }
    }

    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
