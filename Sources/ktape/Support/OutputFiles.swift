import Failures
import Foundation
import JobSpec

/// The files a run writes when it ends (`--summary-json`, `--metrics-file`): checked before any
/// work, so a mistyped path cannot fail a run that has already done it all; written with the
/// system's own words for what went wrong.
enum OutputFiles {
    /// Refuses (exit 2) a path that is a directory or whose directory does not exist.
    static func check(_ common: CommonSettings) throws {
        let files = [("summary-json", common.summaryJSON?.value), ("metrics-file", common.metricsFile?.value)]
        for case (let flag, let path?) in files {
            if let problem = problem(with: path) { throw RunFailure.invalidInput("\(flag) \(path): \(problem)") }
        }
    }

    /// Why `path` cannot be written as a file, or nil.
    static func problem(with path: String) -> String? {
        var info = stat()
        if stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return "is a directory; name a file in it" }
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        guard stat(directory, &info) == 0 else {
            let code = errno
            return code == ENOENT
                ? "the directory \(directory) does not exist" : "cannot use the directory \(directory): \(reason(code))"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(directory) is not a directory" }
        return nil
    }

    /// Replaces the file at `path` with `data`; a failure is `what` (the flag and the path the user
    /// gave), "cannot write" and the system's reason.
    static func write(_ data: Data, to path: String, as what: String) throws {
        func failure(_ code: Int32) -> RunFailure { .failure("\(what): cannot write: \(reason(code))") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        var written = 0
        let code: Int32 = data.withUnsafeBytes { bytes in
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
        if code != 0 {
            close(fd)
            throw failure(code)
        }
        guard close(fd) == 0 else { throw failure(errno) }
    }

    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
