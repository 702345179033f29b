import Dispatch
import Failures
import Foundation
import Threads

/// SIGTERM, SIGINT and SIGHUP end every command with one line and the status shells expect (128 +
/// the signal: 143, 130, 129). Backup and restore stop through `stop`: they end their work cleanly (uploads
/// aborted, resume state written, lease released) and return. Other commands, and a run that has not
/// ended cleanly `grace` seconds after the signal, end at once; a second signal ends the process too.
/// Ending at once is `_exit`, never `exit`: `exit` runs the atexit handlers (OpenSSL's cleanup among
/// them) while worker threads still hash and sign, which crashed an interrupted verify (exit 132, 139).
enum Interrupts {
    /// Raised by the first signal; backup and restore hand it to their engines.
    static let stop = StopSignal()
    /// How long a run may take to end cleanly after the first signal.
    static let grace: TimeInterval = 25

    private static let lock = NSLock()
    // nonisolated(unsafe): these three are read and written only under `lock`.
    nonisolated(unsafe) private static var cooperative = false
    nonisolated(unsafe) private static var received: Int32?
    nonisolated(unsafe) private static var lastWords: (@Sendable (RunFailure) -> Void)?

    /// Takes SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session) over for the whole run.
    /// The handler only writes the signal's number into a pipe, which one thread reads: it is in
    /// place from the moment `sigaction` returns, with no window in which a signal is ignored.
    static func install() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        signalPipe = ends[1]
        let reader = ends[0]
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let got = read(reader, &byte, 1)
                if got == 1 { arrived(Int32(byte)) } else if got == 0 || errno != EINTR { return }
            }
        }
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            // Under nohup SIGHUP is ignored from the start, and stays so.
            if signal == SIGHUP, sigaction(SIGHUP, nil, &action) == 0,
                unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
            {
                continue
            }
            action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                // Async-signal-safe: one write(2) to a non-blocking pipe (a full pipe drops it; two are enough).
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(Interrupts.signalPipe, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The write end of the pipe the handler writes to; set before any handler is installed.
    nonisolated(unsafe) private static var signalPipe: Int32 = -1

    /// Called by a command whose engine stops through `stop`.
    static func stopCooperatively() { lock.withLock { cooperative = true } }

    /// Called by a command that reports a failure however a signal ends it (its metrics and
    /// `--summary-json`): at once (verify), or a cooperative run that did not end within `grace`
    /// or got a second signal. `report` runs on the signal's thread, with the failure about to be
    /// printed, before the process ends, and must not take long. Nil disarms it, once the command
    /// has recorded its own outcome.
    static func beforeEndingAtOnce(_ report: (@Sendable (RunFailure) -> Void)?) { lock.withLock { lastWords = report } }

    /// A cooperative run that fails after a signal asked it to stop (it was retrying a store that kept
    /// failing, say) ends as the signal asked: 128 + the signal, its line naming what failed. Only a
    /// failure a rerun may cure (exit 1): one that needs a person (exit 2) keeps its status, whenever
    /// the signal came.
    static func outcome(of error: any Error) -> any Error {
        guard let reason = stop.reason else { return error }
        let failure = error as? RunFailure
        guard failure.map({ $0.kind == .failure }) ?? true else { return error }
        return RunFailure.interrupted("interrupted by \(reason) (\(failure?.message ?? "\(error)"))", by: reason)
    }

    /// The exit status for the signal received (143 if none was, which a caller asking has no reason to be).
    static var exitStatus: Int32 { 128 + (lock.withLock { received } ?? SIGTERM) }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return "SIGTERM"
        }
    }

    private static func arrived(_ signal: Int32) {
        let (first, waits) = lock.withLock { () -> (Bool, Bool) in
            defer { if received == nil { received = signal } }
            return (received == nil, cooperative)
        }
        guard first else {
            endAtOnce("interrupted by \(name(signal)) again: stopping at once; a lock left behind expires with its lease", signal)
        }
        guard waits else { endAtOnce("interrupted by \(name(signal))", signal) }
        stop.request(name(signal))
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
            endAtOnce(
                "interrupted by \(name(signal)): the run did not end cleanly within \(Int(grace)) s; stopping at once (a lock left behind expires with its lease)",
                signal)
        }
    }

    /// Records the failure as the command asked (`beforeEndingAtOnce`), prints it and ends the process.
    private static func endAtOnce(_ line: String, _ signal: Int32) -> Never {
        lock.withLock { lastWords }?(RunFailure.interrupted(line, by: name(signal)))
        Console.standard.failure(line)
        fflush(nil)
        _exit(128 + signal)
    }
}
