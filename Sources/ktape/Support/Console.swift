import Foundation
import Layout
import JobSpec

/// Where ktape talks to people and schedulers: progress and logs on stderr, results on stdout.
/// `text` is for terminals; `json` writes one JSON object per line for log collectors, with the
/// run's fields (command, run id) and each line's own (topic, partition, key, error code, attempt,
/// duration) beside the message.
struct Console: Sendable {
    enum Format: String, Sendable { case text, json }
    enum Level: String, Sendable { case debug, info, warning, error }

    var format: Format
    var isTerminal: Bool
    /// `-v`: S3 request lines and librdkafka's debug lines are shown.
    var verbose = false
    /// Fields on every line: set once the command and its run id are known.
    var runFields = LogFields()
    var runId: String?

    /// The console of this process; a command configures it once it has read its settings, so
    /// that even the last failure line is JSON for a log collector.
    static var standard: Console { lock.withLock { configured } }
    private static let lock = NSLock()
    // nonisolated(unsafe): read and written only under `lock`.
    nonisolated(unsafe) private static var configured = Console(format: .text, isTerminal: isatty(STDERR_FILENO) == 1)

    static func configure(format: Format, verbose: Bool) {
        lock.withLock {
            configured.format = format
            configured.verbose = verbose
        }
    }

    static func configure(_ common: CommonSettings) {
        configure(format: common.logFormat.value == .json ? .json : .text, verbose: common.verbose.value)
    }

    /// Names the command on every later line before its settings are read: a refusal's line then
    /// says which command refused (there is no run id: no run started).
    static func nameCommand(_ command: JobCommand) {
        lock.withLock { if configured.runId == nil { configured.runFields = LogFields().with("command", command.rawValue) } }
    }

    /// Names the run on every later line: its command and run id.
    static func startRun(command: JobCommand, runId: RunID) {
        lock.withLock {
            configured.runFields = LogFields().with("command", command.rawValue).with("run_id", runId.rawValue)
            configured.runId = runId.rawValue
        }
    }

    /// The run id `startRun` named, if any.
    static var currentRunId: String? { lock.withLock { configured.runId } }

    func info(_ message: String, _ fields: LogFields = LogFields()) { log(.info, message, fields) }
    func warning(_ message: String, _ fields: LogFields = LogFields()) { log(.warning, message, fields) }
    /// Shown with `-v` only.
    func debug(_ message: String, _ fields: LogFields = LogFields()) { if verbose { log(.debug, message, fields) } }

    /// The one line a failed command ends with.
    func failure(_ message: String, _ fields: LogFields = LogFields()) { log(.error, message, fields) }

    func log(_ level: Level, _ message: String, _ fields: LogFields = LogFields()) {
        let line: String
        switch format {
        case .text:
            let prefix = level == .info ? "" : "\(level == .error ? "error" : level.rawValue): "
            // The error is one line whatever a value in it holds (a topic or path with a line break).
            let text = level == .error ? Self.oneLine(message) : message
            line = "ktape: \(prefix)\(text)\n"
        case .json:
            var object = "{\"time\":\(JSONText.string(Self.now())),\"level\":\"\(level.rawValue)\",\"message\":\(JSONText.string(message))"
            for field in runFields.entries + fields.entries { object += ",\(JSONText.string(field.name)):\(field.json)" }
            line = object + "}\n"
        }
        // Results printed on stdout so far go first: a log that holds both keeps their order.
        fflush(nil)
        StandardStreams.writeAll(Array(line.utf8), to: STDERR_FILENO)
    }

    /// `message` with line breaks and other control characters written as escapes (`\n`).
    static func oneLine(_ message: String) -> String {
        guard message.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return message }
        var out = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// Fields of a JSON log line, in order; nil values are left out so callers can pass what they have.
struct LogFields: Sendable {
    struct Entry: Sendable {
        var name: String
        var json: String
    }

    private(set) var entries: [Entry] = []

    func with(_ name: String, _ value: String?) -> LogFields {
        guard let value else { return self }
        var copy = self
        copy.entries.append(Entry(name: name, json: JSONText.string(value)))
        return copy
    }

    func with<N: BinaryInteger>(_ name: String, _ value: N?) -> LogFields {
        guard let value else { return self }
        var copy = self
        copy.entries.append(Entry(name: name, json: String(value)))
        return copy
    }

    func has(_ name: String) -> Bool { entries.contains { $0.name == name } }

    func merging(_ other: LogFields) -> LogFields {
        var copy = self
        copy.entries += other.entries
        return copy
    }
}

enum JSONText {
    static func string(_ s: String) -> String {
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
