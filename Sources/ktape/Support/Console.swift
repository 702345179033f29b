import Foundation

/// Where ktape talks to people and schedulers: progress and logs on stderr, results on stdout.
/// `text` is for terminals; `json` writes one JSON object per line for log collectors.
struct Console: Sendable {
    enum Format: String, Sendable { case text, json }
    enum Level: String, Sendable { case debug, info, warning, error }

    var format: Format
    var isTerminal: Bool

    /// The console of this process; a command switches it to json once it has read `log-format`, so
    /// that even the last failure line is JSON for a log collector.
    static var standard: Console { lock.withLock { configured } }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured = Console(format: .text, isTerminal: isatty(STDERR_FILENO) == 1)

    static func use(format: Format) {
        lock.withLock { configured.format = format }
    }

    func info(_ message: String) { log(.info, message) }
    func warning(_ message: String) { log(.warning, message) }

    /// The one line a failed command ends with.
    func failure(_ message: String) { log(.error, message) }

    func log(_ level: Level, _ message: String) {
        let line: String
        switch format {
        case .text:
            let prefix = level == .info ? "" : "\(level == .error ? "error" : level.rawValue): "
            line = "ktape: \(prefix)\(message)\n"
        case .json:
            let time = ISO8601DateFormatter().string(from: Date())
            line = "{\"time\":\(jsonString(time)),\"level\":\"\(level.rawValue)\",\"message\":\(jsonString(message))}\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    private func jsonString(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}

extension Console {
    /// Help text width: the terminal's, else 100 (ArgumentParser renders nothing for a width of 0,
    /// which it gets when stdout is not a terminal).
    static var helpColumns: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 100
    }
}
