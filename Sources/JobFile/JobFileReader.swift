import Foundation
import Layout
import Yams
import JobSpec

/// Reads a YAML job file into Layout's `JobDocument`, keeping each key's line for errors.
public enum JobFileReader {
    /// More than any job file holds.
    static let largest = 1 << 20

    /// Reads and parses the file at `path`; errors are `JobFileError`s naming `path`.
    public static func read(path: String) throws -> JobDocument {
        let text: String
        // Foundation says "NSCocoaErrorDomain error 256" for a directory, which open(2) opens.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw JobFileError(path: path, line: nil, reason: "cannot read the job file: it is a directory")
        }
        // open(2) for its errno (Foundation's errors on Linux carry only a Cocoa code), without
        // waiting for a writer: a FIFO nobody writes into would hang the run.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw JobFileError(path: path, line: nil, reason: "cannot read the job file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // Blocking again: a pipe with a writer (`--job <(...)`) is read to its end, one without is empty.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count > 0 {
                bytes += buffer[0..<count]
                // /dev/zero, a log file given by mistake: no job file is this large.
                if bytes.count > Self.largest {
                    throw JobFileError(path: path, line: nil, reason: "cannot read the job file: it is larger than 1 MiB")
                }
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw JobFileError(path: path, line: nil, reason: "cannot read the job file: \(String(cString: strerror(errno)))")
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw JobFileError(path: path, line: nil, reason: "cannot read the job file: it is not UTF-8 text")
        }
        text = decoded
        return try parse(yaml: text, path: path)
    }

    /// Parses job-file text; `path` names the file in errors and origins.
    public static func parse(yaml: String, path: String) throws -> JobDocument {
        let root: Node?
        do {
            // A byte order mark (Windows editors write one) is allowed by YAML, but not by Yams given a String.
            root = try Yams.compose(yaml: yaml.hasPrefix("\u{FEFF}") ? String(yaml.dropFirst()) : yaml)
        } catch let error as YamlError {
            throw JobFileError(path: path, yamlError: error)
        }
        guard let root else { throw JobFileError(path: path, line: nil, reason: "the job file is empty") }
        guard case .mapping(let mapping) = root else {
            throw JobFileError(path: path, line: root.mark?.line, reason: "expected a mapping of settings at the top level")
        }
        var document = JobDocument(path: path)
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line ?? 0
            guard case .scalar(let key) = keyNode else {
                throw JobFileError(path: path, line: line, reason: "a setting name must be plain text")
            }
            let value = try rawValue(valueNode, key: key.string, line: line, path: path)
            document.set(JobEntry(key: key.string, value: value, origin: .file(path: path, line: line)))
        }
        return document
    }

    /// Reads a job file if `path` is given and lays `flags` over it; the usual entry point for the CLI.
    public static func document(jobFile path: String?, flags: JobDocument) throws -> JobDocument {
        guard let path else { return flags }
        return try read(path: path).merging(flags)
    }

    static func rawValue(_ node: Node, key: String, line: Int, path: String) throws -> JobRawValue {
        func fail(_ reason: String) -> JobFileError {
            JobFileError(path: path, line: line, reason: "\(key): \(reason)")
        }
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                throw fail("has no value")
            }
            return .scalar(scalar.string)
        case .sequence(let sequence):
            return .list(
                try sequence.map { item in
                    guard case .scalar(let scalar) = item else { throw fail("list items must be single values") }
                    return scalar.string
                })
        case .mapping(let mapping):
            var map: [String: String] = [:]
            for (name, value) in mapping {
                guard case .scalar(let nameScalar) = name, case .scalar(let valueScalar) = value else {
                    throw fail("mapping entries must be name: value")
                }
                if valueScalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(valueScalar.string) {
                    throw fail("'\(nameScalar.string)' has no value")
                }
                map[nameScalar.string] = valueScalar.string
            }
            return .map(map)
        case .alias:
            throw fail("YAML aliases are not supported")
        }
    }
}

/// A job file that cannot be read or parsed: `path:line: reason`.
public struct JobFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var reason: String

    public init(path: String, line: Int?, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    init(path: String, yamlError: YamlError) {
        self.path = path
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            line = mark.line
            reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // YAML names the first occurrence; the line to change is where it is set again.
            let first = context.mark.line
            let again = duplicates.first.flatMap { Self.line(settingAgain: $0, after: first, in: context.text) }
            line = again ?? first
            reason = "duplicate setting '\(duplicates.joined(separator: "', '"))'" + (again == nil ? "" : " (first set on line \(first))")
        case .reader(let problem, _, _, _):
            line = nil
            reason = problem
        default:
            line = nil
            reason = "not valid YAML (\(yamlError))"
        }
    }

    /// The 1-based line after line `first` that sets `key` again at the same indentation, if any.
    static func line(settingAgain key: String, after first: Int, in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first >= 1, first <= lines.count else { return nil }
        func indentation(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }
        func sets(_ line: Substring) -> Bool {
            let rest = line.drop { $0 == " " }
            return [key, "\"\(key)\"", "'\(key)'"].contains { spelled in
                rest.hasPrefix(spelled) && rest.dropFirst(spelled.count).drop { $0 == " " }.hasPrefix(":")
            }
        }
        let depth = indentation(lines[first - 1])
        for index in first..<lines.count where indentation(lines[index]) == depth && sets(lines[index]) { return index + 1 }
        return nil
    }

    public var description: String {
        if let line { return "\(path):\(line): \(reason)" }
        return "\(path): \(reason)"
    }
}
