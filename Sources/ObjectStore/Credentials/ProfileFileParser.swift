/// Parses the INI dialect of `~/.aws/credentials` and `~/.aws/config`.
///
/// Rules follow the AWS CLI: `#` and `;` start a comment at the beginning of a line, or inline
/// when preceded by whitespace; keys and values are trimmed; an indented line under a key with an
/// empty value is a sub-property (`s3 =` / `  addressing_style = path`), kept as the dotted key
/// `s3.addressing_style`; a later duplicate key wins. Lines outside any section are ignored.
enum ProfileFileParser {
    /// Section title (as written between the brackets, trimmed) to its keys.
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        var parentKey: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(rawLine)
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"
            if trimmed.hasPrefix("[") {
                guard let close = trimmed.firstIndex(of: "]") else {
                    current = nil
                    continue
                }
                let title = trimmed[trimmed.index(after: trimmed.startIndex)..<close].trimmingWhitespace()
                current = title
                parentKey = nil
                if sections[title] == nil { sections[title] = [:] }
                continue
            }
            guard let section = current else { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingWhitespace()
            let value = stripInlineComment(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace()
            guard !key.isEmpty else { continue }
            if indented, let parentKey {
                sections[section, default: [:]][parentKey + "." + key] = value
                continue
            }
            parentKey = value.isEmpty ? key : nil
            sections[section, default: [:]][key] = value
        }
        return sections
    }

    /// Cuts ` # comment` / ` ; comment`; a `#` inside a value without whitespace before it stays.
    private static func stripInlineComment(_ value: Substring) -> Substring {
        var previous: Character = " "
        var index = value.startIndex
        var sawNonSpace = false
        while index < value.endIndex {
            let character = value[index]
            if (character == "#" || character == ";") && (previous == " " || previous == "\t") && sawNonSpace {
                return value[..<index]
            }
            if character != " " && character != "\t" { sawNonSpace = true }
            previous = character
            index = value.index(after: index)
        }
        return value
    }
}

extension StringProtocol {
    /// Trims spaces, tabs and line breaks at both ends.
    func trimmingWhitespace() -> String {
        let blank: Set<Character> = [" ", "\t", "\n", "\r", "\r\n"]
        var scalars = Substring(self)
        while let first = scalars.first, blank.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, blank.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
