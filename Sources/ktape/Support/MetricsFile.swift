import Foundation

/// Prometheus text-format metrics of one run, written for node-exporter's textfile collector:
/// the whole file is replaced atomically (temporary name, then rename), so the collector never
/// reads half a file.
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

    var text: String {
        let labelText = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        return samples.map { sample in
            "# HELP \(sample.name) \(sample.help)\n# TYPE \(sample.name) gauge\n\(sample.name)\(labelText) \(Self.format(sample.value))\n"
        }.joined()
    }

    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            // rename(2) replaces the old file in one step.
            guard rename(temporary.path, path) == 0 else {
                throw CommandFailure.failure("metrics-file \(path): cannot write: \(String(cString: strerror(errno)))")
            }
        } catch let failure as CommandFailure {
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CommandFailure.failure("metrics-file \(path): cannot write: \(error.localizedDescription)")
        }
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
