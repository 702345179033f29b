import Foundation

/// A regex that must match a WHOLE name, like Java's `Matcher.matches()`, over NSRegularExpression
/// (ICU syntax). NSRegularExpression is immutable and documented thread-safe, hence the Sendable.
// @unchecked Sendable: NSRegularExpression is immutable and documented thread-safe; the rest are lets.
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
            throw RegexCompileError(pattern: pattern, reason: Self.reason(from: error, pattern: pattern))
        }
        // `\z` rather than `$`: `$` also matches before a final line terminator.
        do {
            whole = try NSRegularExpression(pattern: "(?:" + pattern + ")\\z")
        } catch {
            // E.g. a trailing `#` comment under `(?x)` swallows the anchor.
            throw RegexCompileError(pattern: pattern, reason: "cannot be anchored to the whole name (\(Self.reason(from: error)))")
        }
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
            match.range.location == 0, match.range.length == all.length
        else { return nil }
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
            if c == "\\" {
                index += 2
                continue
            }
            if c == "[" { setDepth += 1 } else if c == "]", setDepth > 0 { setDepth -= 1 }
            if setDepth == 0, c == "(", index + 3 < chars.count, chars[index + 1] == "?", chars[index + 2] == "<",
                chars[index + 3].isLetter
            {
                var end = index + 3
                var name = ""
                while end < chars.count, chars[end].isLetter || chars[end].isNumber {
                    name.append(chars[end])
                    end += 1
                }
                if end < chars.count, chars[end] == ">" { names.append(name) }
            }
            index += 1
        }
        return names
    }

    /// Foundation on Linux reports only "invalid pattern"; name the usual culprits ourselves.
    static func reason(from error: Error, pattern: String? = nil) -> String {
        if let pattern, let hint = structuralProblem(in: pattern) { return hint }
        let ns = error as NSError
        let text = ns.localizedDescription
        let generic = text.isEmpty || text.contains("could not be completed") || text.contains("couldn’t be completed")
        return generic ? "ICU refuses the pattern (check quantifiers, group names and escapes)" : text
    }

    /// Unbalanced groups or sets, a lone trailing `\`, or `{m,n}` with m > n; nil when none.
    static func structuralProblem(in pattern: String) -> String? {
        let chars = Array(pattern)
        var groups = 0
        var setDepth = 0
        var index = 0
        while index < chars.count {
            let c = chars[index]
            if c == "\\" {
                if index + 1 == chars.count { return "ends with a lone '\\'" }
                index += 2
                continue
            }
            if setDepth > 0 {
                if c == "[" { setDepth += 1 } else if c == "]" { setDepth -= 1 }
            } else if c == "[" {
                setDepth = 1
                // A `]` right after `[` or `[^` is a literal member.
                if index + 1 < chars.count, chars[index + 1] == "^" { index += 1 }
                if index + 1 < chars.count, chars[index + 1] == "]" { index += 1 }
            } else if c == "(" {
                groups += 1
            } else if c == ")" {
                if groups == 0 { return "')' at position \(index + 1) closes no group" }
                groups -= 1
            } else if c == "{", let close = chars[index...].firstIndex(of: "}") {
                let bounds = String(chars[(index + 1)..<close]).split(separator: ",", omittingEmptySubsequences: false)
                if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low > high {
                    return "quantifier {\(low),\(high)} has min > max"
                }
            }
            index += 1
        }
        if setDepth > 0 { return "'[' is never closed" }
        if groups > 0 { return "\(groups) '(' never closed" }
        return nil
    }
}

/// A regex that does not compile; one line naming the pattern and ICU's reason.
public struct RegexCompileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "regex '\(pattern)' does not compile: \(reason)" }
}
