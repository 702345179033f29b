import Foundation

/// Confluent's `topic.regex.list`: `topic1:regex1,topic2:regex2`. Each regex picks the files of its
/// topic by matching the WHOLE file name `<topic>+<p>+<offset>.<ext>` (not the path).
public struct TopicRegexList: Sendable, CustomStringConvertible {
    /// One `topic:regex` entry.
    public struct Entry: Sendable {
        public let topic: String
        public let regex: WholeNameRegex
    }

    /// Entries in the order written.
    public let entries: [Entry]

    /// Parses the list. Entries split on commas outside `[...]`, `{...}` and `(...)`, and not
    /// escaped as `\,`; each entry splits at its first colon; whitespace around entries is trimmed.
    public init(parsing text: String) throws {
        let pieces = Self.splitTopLevel(text)
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            throw TopicRegexListError(position: 0, entry: text, reason: "the list is empty")
        }
        var entries: [Entry] = []
        for (offset, raw) in pieces.enumerated() {
            let position = offset + 1
            let entry = raw.trimmingCharacters(in: .whitespaces)
            func fail(_ reason: String) -> TopicRegexListError {
                TopicRegexListError(position: position, entry: entry, reason: reason)
            }
            if entry.isEmpty { throw fail("empty entry") }
            guard let colon = entry.firstIndex(of: ":") else { throw fail("no ':' between topic and regex") }
            let topic = String(entry[..<colon]).trimmingCharacters(in: .whitespaces)
            let pattern = String(entry[entry.index(after: colon)...])
            if topic.isEmpty { throw fail("empty topic") }
            if let problem = TopicName.problem(with: topic) { throw fail(problem) }
            if pattern.isEmpty { throw fail("empty regex") }
            if let earlier = entries.firstIndex(where: { $0.topic == topic }) {
                throw fail("topic '\(topic)' is already listed in entry \(earlier + 1)")
            }
            do {
                entries.append(Entry(topic: topic, regex: try WholeNameRegex(pattern)))
            } catch let error as RegexCompileError {
                throw fail("regex does not compile: \(error.reason)")
            }
        }
        self.entries = entries
    }

    /// The topics named, in order.
    public var topics: [String] { entries.map(\.topic) }

    /// The entry for `topic`, or nil when the list does not name it.
    public func entry(for topic: String) -> Entry? { entries.first { $0.topic == topic } }

    /// True when `fileName` belongs to `topic`: the topic is listed and its regex matches the whole name.
    public func selects(fileName: String, topic: String) -> Bool {
        entry(for: topic)?.regex.matches(fileName) ?? false
    }

    public var description: String { entries.map { "\($0.topic):\($0.regex.pattern)" }.joined(separator: ",") }

    /// Splits on commas at nesting depth 0 that are not escaped; brackets after a `\` do not count.
    static func splitTopLevel(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var depth = 0
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            switch c {
            case "\\":
                escaped = true
                current.append(c)
            case "[", "{", "(":
                depth += 1
                current.append(c)
            case "]", "}", ")":
                depth = max(0, depth - 1)
                current.append(c)
            case "," where depth == 0:
                pieces.append(current)
                current = ""
            default: current.append(c)
            }
        }
        pieces.append(current)
        return pieces
    }
}

/// Why a `topic.regex.list` is refused; one line naming the entry and its position.
public struct TopicRegexListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based entry number; 0 for the list as a whole.
    public var position: Int
    public var entry: String
    public var reason: String

    public var description: String {
        position == 0
            ? "topic-regex-list: \(reason)"
            : "topic-regex-list entry \(position) '\(entry)': \(reason)"
    }
}
