import Foundation

/// A regex that must match a WHOLE name, like Java's `Matcher.matches()`, over NSRegularExpression
/// (ICU syntax). NSRegularExpression is immutable and documented thread-safe, hence the Sendable.
public struct WholeNameRegex: @unchecked Sendable, CustomStringConvertible {
    /// The pattern as the user wrote it.
    public let pattern: String
    /// Capturing groups in the pattern.
    public let groupCount: Int
    /// Names of `(?<name>…)` groups, in order of appearance.
    public let groupNames: [String]
    let search: NSRegularExpression
    let whole: NSRegularExpression

    /// Compiles `pattern`; the error's text is ICU's reason.
    public init(_ pattern: String) throws {
        do {
            search = try NSRegularExpression(pattern: pattern)
        } catch {
            throw RegexCompileError(pattern: pattern, reason: Self.reason(from: error))
        }
        // `\z` rather than `$`: `$` also matches before a final line terminator.
        whole = try NSRegularExpression(pattern: "(?:" + pattern + ")\\z")
        self.pattern = pattern
        groupCount = search.numberOfCaptureGroups
        groupNames = Self.namedGroups(in: pattern)
    }

    /// True when the whole of `name` matches.
    public func matches(_ name: String) -> Bool { wholeMatch(name) != nil }

    /// The match over the whole of `name`, or nil.
    func wholeMatch(_ name: String) -> NSTextCheckingResult? {
        let all = NSRange(location: 0, length: (name as NSString).length)
        guard let match = whole.firstMatch(in: name, options: [.anchored], range: all),
              match.range.location == 0, match.range.length == all.length else { return nil }
        return match
    }

    /// The first match anywhere in `name` (Java `find()`), or nil.
    func firstMatch(_ name: String) -> NSTextCheckingResult? {
        search.firstMatch(in: name, range: NSRange(location: 0, length: (name as NSString).length))
    }

    public var description: String { pattern }

    /// `(?<name>` openings that are not look-behinds `(?<=` / `(?<!`, skipping escapes and sets.
    static func namedGroups(in pattern: String) -> [String] {
        let chars = Array(pattern)
        var names: [String] = []
        var index = 0
        var setDepth = 0
        while index < chars.count {
            let c = chars[index]
            if c == "\\" { index += 2; continue }
            if c == "[" { setDepth += 1 } else if c == "]", setDepth > 0 { setDepth -= 1 }
            if setDepth == 0, c == "(", index + 3 < chars.count, chars[index + 1] == "?", chars[index + 2] == "<",
               chars[index + 3].isLetter {
                var end = index + 3
                var name = ""
                while end < chars.count, chars[end].isLetter || chars[end].isNumber { name.append(chars[end]); end += 1 }
                if end < chars.count, chars[end] == ">" { names.append(name) }
            }
            index += 1
        }
        return names
    }

    static func reason(from error: Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo["NSInvalidValue"] { return "invalid pattern (\(detail))" }
        let text = ns.localizedDescription
        return text.isEmpty ? "invalid pattern" : text
    }
}

/// A regex that does not compile; one line naming the pattern and ICU's reason.
public struct RegexCompileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "regex '\(pattern)' does not compile: \(reason)" }
}
