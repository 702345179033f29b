import Foundation
import Layout

extension JobSpec {
    /// The effective settings as a YAML job file (for `--print-config`): every key of the command,
    /// with its value and a comment saying where it came from; unset keys without a default are
    /// left out. With `masked`, secret `-X` values print as `***`.
    public func effectiveConfigText(masked: Bool = true) -> String {
        var lines = ["# ktape \(command.rawValue): effective settings"]
        for key in JobKey.allCases where command.accepts(key) {
            let origin: String
            let value: JobRawValue
            if let entry = document[key.rawValue] {
                value = entry.value
                origin = entry.origin.description
            } else if let defaultText = key.defaultText {
                value = .scalar(defaultText)
                origin = "default"
            } else {
                continue
            }
            switch value {
            case .scalar(let text):
                lines.append("\(key.rawValue): \(YAMLText.scalar(text))  # \(origin)")
            case .list(let items):
                lines.append("\(key.rawValue):  # \(origin)")
                lines += items.map { "  - \(YAMLText.scalar($0))" }
            case .map(let map):
                lines.append("\(key.rawValue):  # \(origin)")
                for name in map.keys.sorted() {
                    let shown = masked && JobKey.isSecretProperty(name) ? "***" : map[name] ?? ""
                    lines.append("  \(YAMLText.scalar(name)): \(YAMLText.scalar(shown))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Minimal YAML scalar writing: plain when unambiguous, else double-quoted with JSON escapes
/// (a double-quoted YAML scalar accepts them).
enum YAMLText {
    static func scalar(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", "/", "+", "=", "*": return true
                default: return false
                }
            } && !["-", "*"].contains(String(text.prefix(1)))
        if plain { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
