import Foundation
import Testing
import Layout
@testable import JobSpec

/// The keys of issue 16's flags: `metrics-push-url`, `verbose` and `json` (ls, verify), each with a
/// default, a scope, validation, and a line in docs/job-files.md.
@Suite struct OperationsKeyTests {
    let backup = ["bootstrap-servers": "localhost:9092", "store": "/tmp/s", "topics": "a"]

    func spec(_ pairs: [String: String], _ command: JobCommand) throws -> JobSpec {
        try JobSpec(document: JobDocument.flags(pairs.mapValues { .scalar($0) }), command: command)
    }

    @Test func pushURLAndVerboseAreReadWithDefaults() throws {
        let plain = try spec(backup, .backup)
        #expect(plain.common.metricsPushURL == nil)
        #expect(plain.common.verbose.value == false && plain.common.verbose.origin == .default)
        let set = try spec(backup.merging(["metrics-push-url": "http://gateway:9091/base", "verbose": "true"]) { _, b in b }, .backup)
        #expect(set.common.metricsPushURL?.value == "http://gateway:9091/base")
        #expect(set.common.verbose.value)
    }

    @Test(arguments: ["gateway:9091", "http://user:pw@gateway:9091", "http://gateway:9091/?x=1", "http:///path"])
    func badPushURLsAreRefusedNamingTheKey(url: String) {
        #expect(throws: JobSpecError.self) { try spec(backup.merging(["metrics-push-url": url]) { _, b in b }, .backup) }
        do { _ = try spec(backup.merging(["metrics-push-url": url]) { _, b in b }, .backup) } catch {
            #expect("\(error)".contains("metrics-push-url"))
            #expect(!"\(error)".contains("pw@") || !url.contains("pw@") || "\(error)".contains("must not carry"))
        }
    }

    @Test func jsonBelongsToLsAndVerifyOnly() throws {
        #expect(try spec(["store": "/tmp/s", "json": "true"], .verify).inspect?.json.value == true)
        #expect(try spec(["store": "/tmp/s"], .ls).inspect?.json.value == false)
        #expect(throws: JobSpecError.self) { try spec(backup.merging(["json": "true"]) { _, b in b }, .backup) }
    }

    @Test func everyKeyHasALineInTheJobFileDoc() throws {
        var url = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("docs/job-files.md").path) {
            url.deleteLastPathComponent()
        }
        let doc = try String(contentsOf: url.appendingPathComponent("docs/job-files.md"), encoding: .utf8)
        for key in JobKey.allCases {
            #expect(doc.contains("| `\(key.rawValue)` |"), "docs/job-files.md has no line for \(key.rawValue)")
        }
    }
}
