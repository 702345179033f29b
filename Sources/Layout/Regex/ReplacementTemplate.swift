import Foundation

/// Java's `Matcher` replacement syntax, parsed once: `$n` (digits taken greedily while the number
/// stays ≤ the group count), `${name}`, and `\x` for a literal x.
struct ReplacementTemplate: Sendable {
    enum Piece: Equatable, Sendable {
        case literal(String)
        case group(Int)
        case named(String)
    }

    struct Problem: Error { let text: String }

    let pieces: [Piece]

    init(_ text: String, groupCount: Int, groupNames: [String]) throws {
        let chars = Array(text)
        var pieces: [Piece] = []
        var literal = ""
        var index = 0
        func flush() {
            if !literal.isEmpty {
                pieces.append(.literal(literal))
                literal = ""
            }
        }
        while index < chars.count {
            let c = chars[index]
            if c == "\\" {
                index += 1
                guard index < chars.count else { throw Problem(text: "trailing '\\' escapes nothing") }
                literal.append(chars[index])
                index += 1
            } else if c == "$" {
                index += 1
                guard index < chars.count else { throw Problem(text: "'$' at the end is missing a group number") }
                if chars[index] == "{" {
                    index += 1
                    var name = ""
                    while index < chars.count, chars[index] != "}" {
                        name.append(chars[index])
                        index += 1
                    }
                    guard index < chars.count else { throw Problem(text: "'${\(name)' is missing its closing '}'") }
                    index += 1
                    guard let first = name.first, first.isASCII, first.isLetter,
                        name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
                    else {
                        throw Problem(text: "'${\(name)}' is not a valid group name")
                    }
                    guard groupNames.contains(name) else { throw Problem(text: "no group named '\(name)' in the regex") }
                    flush()
                    pieces.append(.named(name))
                } else {
                    guard let first = chars[index].wholeNumberValue, chars[index].isASCII else {
                        throw Problem(text: "'$' must be followed by a group number or {name} (write '\\$' for a literal dollar)")
                    }
                    var number = first
                    index += 1
                    while index < chars.count, chars[index].isASCII, let digit = chars[index].wholeNumberValue {
                        let longer = number * 10 + digit
                        if longer > groupCount { break }
                        number = longer
                        index += 1
                    }
                    guard number <= groupCount else {
                        throw Problem(text: "no group \(number) in the regex (it has \(groupCount))")
                    }
                    flush()
                    pieces.append(.group(number))
                }
            } else {
                literal.append(c)
                index += 1
            }
        }
        flush()
        self.pieces = pieces
    }

    /// The replacement for one match; a group that took no part in the match inserts nothing.
    func expand(_ match: NSTextCheckingResult, in name: NSString) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .group(let number): out += Self.text(match.range(at: number), in: name)
            case .named(let group): out += Self.text(match.range(withName: group), in: name)
            }
        }
        return out
    }

    static func text(_ range: NSRange, in name: NSString) -> String {
        range.location == NSNotFound ? "" : name.substring(with: range)
    }
}
