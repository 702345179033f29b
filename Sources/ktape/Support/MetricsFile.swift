import Failures
import Foundation

/// Prometheus text-format metrics of one run, written for node-exporter's textfile collector:
/// the whole file is replaced atomically (temporary name, then rename), so the collector never
/// reads half a file. Every sample carries the same labels; `promtool check metrics` accepts the text.
struct MetricsFile {
    struct Sample {
        var name: String
        var help: String
        var value: Double
    }

    var labels: [(String, String)]
    var samples: [Sample] = []

    mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        samples.append(Sample(name: name, help: help, value: value))
    }

    var text: String { text(omitting: []) }

    /// The text with the named labels left out (a Pushgateway adds its grouping labels itself).
    func text(omitting omitted: Set<String>) -> String {
        let kept = labels.filter { !omitted.contains($0.0) }
        let labelText = Self.labelText(kept)
        return samples.map { sample in
            "# HELP \(sample.name) \(sample.help)\n# TYPE \(sample.name) gauge\n\(sample.name)\(labelText) \(Self.format(sample.value))\n"
        }.joined()
    }

    /// The value of `name` with exactly these labels in the file at `path`, as an earlier run wrote it.
    static func value(of name: String, labels: [(String, String)], inFileAt path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let prefix = name + labelText(labels) + " "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    func write(to path: String) throws {
        // Renamed over the file a symbolic link names, not over the link.
        let url = URL(fileURLWithPath: OutputFiles.resolved(path))
        // Unique per write: a signal's failure report may write while the run's own report does.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString.prefix(8)).tmp")
        do {
            try OutputFiles.write(Data(text.utf8), to: temporary.path, as: "metrics-file \(path)")
            // rename(2) replaces the old file in one step.
            guard rename(temporary.path, url.path) == 0 else {
                throw RunFailure.failure("metrics-file \(path): cannot write: \(String(cString: strerror(errno)))")
            }
        } catch let failure as RunFailure {
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RunFailure.failure("metrics-file \(path): cannot write: \(error.localizedDescription)")
        }
    }

    private static func labelText(_ labels: [(String, String)]) -> String {
        labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
