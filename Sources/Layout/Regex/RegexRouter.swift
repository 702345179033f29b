import Foundation

/// Kafka Connect's `RegexRouter`: when the regex matches the WHOLE topic name, the topic becomes
/// `matcher.replaceFirst(replacement)`; otherwise it is kept.
public struct RegexRouter: Sendable, CustomStringConvertible {
    public let regex: WholeNameRegex
    public let replacement: String
    let template: ReplacementTemplate

    /// Compiles both halves; a bad replacement (trailing `\`, stray `$`, a group the regex lacks)
    /// is refused here, before any record moves.
    public init(regex pattern: String, replacement: String) throws {
        do {
            regex = try WholeNameRegex(pattern)
        } catch let error as RegexCompileError {
            throw RegexRouterError(regex: pattern, replacement: replacement, reason: "rename-regex does not compile: \(error.reason)")
        }
        self.replacement = replacement
        do {
            template = try ReplacementTemplate(replacement, groupCount: regex.groupCount, groupNames: regex.groupNames)
        } catch let error as ReplacementTemplate.Problem {
            throw RegexRouterError(regex: pattern, replacement: replacement, reason: error.text)
        }
    }

    /// The target topic for `topic`.
    public func route(_ topic: String) -> String {
        guard regex.matches(topic) else { return topic }
        // Java's replaceFirst runs find() from the start again, which can stop short of the whole
        // name (e.g. `a|ab` on "ab"); the unmatched rest is kept, as in Java.
        guard let match = regex.firstMatch(topic) else { return topic }
        let name = topic as NSString
        let before = name.substring(to: match.range.location)
        let after = name.substring(from: match.range.location + match.range.length)
        return before + template.expand(match, in: name) + after
    }

    public var description: String { "RegexRouter(\(regex.pattern) → \(replacement))" }
}

/// A rename rule refused when built; one line naming the regex and the replacement.
public struct RegexRouterError: Error, Equatable, Sendable, CustomStringConvertible {
    public var regex: String
    public var replacement: String
    public var reason: String
    public var description: String {
        "rename-replacement '\(replacement)' (rename-regex '\(regex)'): \(reason)"
    }
}
