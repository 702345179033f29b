import Dispatch
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
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var lastWords: (@Sendable () -> Void)?

    /// Takes SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session) over for the whole run.
    static func install() {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            let previous = Foundation.signal(signal, SIG_IGN)
            // Under nohup SIGHUP is ignored from the start, and stays so.
            if signal == SIGHUP, let previous, unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { arrived(signal) }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }

    /// Called by a command whose engine stops through `stop`.
    static func stopCooperatively() { lock.withLock { cooperative = true } }

    /// Called by a command that ends at once on a signal but reports a failure first (verify's
    /// metrics): `report` runs on the signal's thread before the last line, and must not take long.
    /// Nil disarms it, once the command has recorded its own outcome.
    static func beforeEndingAtOnce(_ report: (@Sendable () -> Void)?) { lock.withLock { lastWords = report } }

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
            Console.standard.failure("interrupted by \(name(signal)) again: stopping at once; a lock left behind expires with its lease")
            _exit(128 + signal)
        }
        guard waits else {
            lock.withLock { lastWords }?()
            Console.standard.failure("interrupted by \(name(signal))")
            fflush(nil)
            _exit(128 + signal)
        }
        stop.request(name(signal))
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
            Console.standard.failure(
                "interrupted by \(name(signal)): the run did not end cleanly within \(Int(grace)) s; stopping at once (a lock left behind expires with its lease)"
            )
            _exit(128 + signal)
        }
    }
}
