import Failures
import CStandardOutput
import Foundation

/// Standard input, output and error as a scheduler may hand them over: closed, full, or a pipe whose
/// reader is gone. None of these may crash a run or leave it half done; a result that could not be
/// written is a failure.
enum StandardStreams {
    /// Before anything opens a descriptor: a closed 0, 1 or 2 would be the next one opened (a store's
    /// file, a socket), and results meant for the terminal would go into it. They get /dev/null, read-only,
    /// so writes to a stream closed at the start still fail. SIGPIPE is ignored: a write to a pipe whose
    /// reader is gone fails with EPIPE instead of killing the run before it releases its lease.
    static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 {
            let opened = open("/dev/null", O_RDONLY)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }

    /// Writes all of `bytes` to `descriptor`, giving up quietly on an error: a log line that cannot be
    /// written has nowhere else to go, and must not end the run (FileHandle.write traps).
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// The exit status once the results on stdout are flushed: a command that succeeded but whose
    /// results could not all be written (a full disk, a closed stdout) fails with one line.
    static func settle(_ status: Int32) -> Int32 {
        let failure = ktape_stdout_failure()
        guard failure != 0, status == ExitStatus.done else { return status }
        let reason = failure > 0 ? ": " + String(cString: strerror(failure)) : ""
        Console.standard.failure("cannot write the results to standard output\(reason)")
        return ExitStatus.failure
    }
}
