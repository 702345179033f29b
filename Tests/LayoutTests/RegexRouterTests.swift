import Foundation
import Testing
@testable import Layout

@Suite struct RegexRouterTests {
    @Test func documentedExamples() throws {
        #expect(try RegexRouter(regex: "source-topic-(\\d)", replacement: "sink-topic-$1").route("source-topic-1") == "sink-topic-1")
        #expect(try RegexRouter(regex: ".*", replacement: "$0").route("orders.v1") == "orders.v1")
        #expect(try RegexRouter(regex: "(.*)", replacement: "restored-$1").route("orders") == "restored-orders")
        #expect(try RegexRouter(regex: "(.*)", replacement: "\\$$1").route("x") == "$x")
    }

    @Test func nonMatchingAndPartialMatchesKeepTheName() throws {
        let router = try RegexRouter(regex: "source-topic-(\\d)", replacement: "sink-topic-$1")
        #expect(router.route("other") == "other")
        #expect(router.route("source-topic-12") == "source-topic-12")
        #expect(router.route("xsource-topic-1") == "xsource-topic-1")
    }

    @Test func groupNumbersAreGreedyOnlyWithinTheGroupCount() throws {
        // One group: `$10` is group 1 then a literal 0.
        #expect(try RegexRouter(regex: "(a)", replacement: "$10").route("a") == "a0")
        let eleven = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)"
        #expect(try RegexRouter(regex: eleven, replacement: "$11-$10-$1").route("abcdefghijk") == "k-j-a")
        #expect(try RegexRouter(regex: eleven, replacement: "$111").route("abcdefghijk") == "k1")
    }

    @Test func namedGroupsAndOptionalGroups() throws {
        let named = try RegexRouter(regex: "(?<env>prod|dev)\\.(?<name>.+)", replacement: "${name}-${env}")
        #expect(named.route("prod.orders") == "orders-prod")
        let optional = try RegexRouter(regex: "(x-)?(.*)", replacement: "[$1]$2")
        #expect(optional.route("orders") == "[]orders")
        #expect(optional.route("x-orders") == "[x-]orders")
    }

    @Test func replaceFirstKeepsTheRestLikeJava() throws {
        // matches() succeeds via "ab", but replaceFirst's find() stops at "a"; Java keeps the "b".
        #expect(try RegexRouter(regex: "a|ab", replacement: "X").route("ab") == "Xb")
    }

    @Test func escapesAreLiteral() throws {
        #expect(try RegexRouter(regex: "(.*)", replacement: "a\\\\b\\n$1").route("t") == "a\\bnt")
    }

    @Test(arguments: [
        ("(.*)", "x-$2", "no group 2 in the regex (it has 1)"),
        ("(.*)", "x-$", "'$' at the end"),
        ("(.*)", "x-$a", "'$' must be followed by a group number"),
        ("(.*)", "x\\", "trailing '\\' escapes nothing"),
        ("(.*)", "${nope}", "no group named 'nope'"),
        ("(?<n>.*)", "${n", "missing its closing '}'"),
        ("(?<n>.*)", "${}", "not a valid group name"),
        ("[", "x", "rename-regex does not compile")
    ])
    func badRulesAreRefusedWhenBuilt(regex: String, replacement: String, fragment: String) {
        do {
            _ = try RegexRouter(regex: regex, replacement: replacement)
            Issue.record("\(regex) → \(replacement) was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains(fragment), "\(text)")
            #expect(text.contains("rename-replacement '\(replacement)'"))
            #expect(!text.contains("\n"))
        }
    }
}
