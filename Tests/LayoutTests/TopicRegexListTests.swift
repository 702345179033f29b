import Foundation
import Testing
@testable import Layout

@Suite struct TopicRegexListTests {
    @Test func parsesEntriesSplittingOnTopLevelCommasOnly() throws {
        let list = try TopicRegexList(parsing: " orders:orders\\+[0-9]{1,3}\\+.*\\.json , pay:(a,b).* ,x:[,].*,y:a\\,b")
        #expect(list.topics == ["orders", "pay", "x", "y"])
        #expect(list.entries[0].regex.pattern == "orders\\+[0-9]{1,3}\\+.*\\.json")
        #expect(list.entries[1].regex.pattern == "(a,b).*")
        #expect(list.entries[2].regex.pattern == "[,].*")
        #expect(list.entries[3].regex.matches("a,b"))
    }

    @Test func firstColonSplitsTopicFromRegex() throws {
        let list = try TopicRegexList(parsing: "t:(?:a|b):c")
        #expect(list.entries[0].regex.pattern == "(?:a|b):c")
        #expect(list.selects(fileName: "a:c", topic: "t"))
    }

    @Test func regexMustMatchTheWholeFileName() throws {
        let list = try TopicRegexList(parsing: "orders:orders\\+0\\+.*")
        #expect(list.selects(fileName: "orders+0+0000000000.json", topic: "orders"))
        #expect(!list.selects(fileName: "orders+1+0000000000.json", topic: "orders"))
        #expect(!list.selects(fileName: "orders+0+0000000000.json", topic: "other"))
        let partial = try TopicRegexList(parsing: "orders:orders")
        #expect(!partial.selects(fileName: "orders+0+0000000000.json", topic: "orders"))
        let alternation = try TopicRegexList(parsing: "t:a|ab")
        #expect(alternation.selects(fileName: "ab", topic: "t"))
        let dotted = try TopicRegexList(parsing: "t:.*json")
        #expect(!dotted.selects(fileName: "x.json\n", topic: "t"))
    }

    @Test(arguments: [
        ("", "the list is empty"),
        ("   ", "the list is empty"),
        ("a:.*,,b:.*", "entry 2 '': empty entry"),
        ("a:.*, ", "entry 2 '': empty entry"),
        ("orders", "entry 1 'orders': no ':'"),
        (":x.*", "entry 1 ':x.*': empty topic"),
        ("bad topic:.*", "illegal character ' '"),
        ("a:", "entry 1 'a:': empty regex"),
        ("a:.*,b:[unclosed", "entry 2 'b:[unclosed': regex does not compile: '[' is never closed"),
        ("a:x{3,1}", "regex does not compile: quantifier {3,1} has min > max"),
        ("a:x)", "regex does not compile: ')' at position 2 closes no group"),
        ("a:x**", "regex does not compile: ICU refuses the pattern"),
        ("a:.*,b:.*,a:x", "entry 3 'a:x': topic 'a' is already listed in entry 1")
    ])
    func refusesBadLists(text: String, fragment: String) {
        do {
            _ = try TopicRegexList(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
            #expect("\(error)".hasPrefix("topic-regex-list"))
        }
    }
}
