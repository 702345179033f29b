import Foundation
import KtapeTestSupport
import Testing

/// Issue 16, "docs that run", for job files: every file in fixtures/jobs/ is read by the binary the
/// way a user runs it (`ktape <command> --job FILE --print-config`), and every broken one fails the
/// way its header says, with exit 2 and that one line.
@Suite struct JobFixtureFileTests {
    @Test func everySampleJobPrintsItsSettings() async throws {
        let names = try JobFixtures.sampleNames()
        #expect(names.count >= 4)
        for name in names {
            let command = try #require(
                JobFixtures.header(try JobFixtures.text(name), "expect-command"), "\(name): no # expect-command: line")
            let run = try await KtapeProcess.runAsync([command, "--job", "fixtures/jobs/\(name)", "--print-config"])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            // Each setting the file holds is printed with the line it came from.
            #expect(run.stdout.contains("store: ") && run.stdout.contains("# fixtures/jobs/\(name):"), "\(name): \(run.stdout)")
        }
    }

    @Test func everyBrokenJobExitsTwoWithItsDocumentedLine() async throws {
        let names = try JobFixtures.brokenNames()
        #expect(names.count >= 8)
        let folder = JobFixtures.folder.appendingPathComponent("broken")
        for name in names {
            let text = try JobFixtures.text("broken/\(name)")
            let command = try #require(JobFixtures.header(text, "expect-command"), "\(name): no # expect-command: line")
            let expected = try #require(JobFixtures.header(text, "expect-error"), "\(name): no # expect-error: line")
            let run = try await KtapeProcess.runAsync([command, "--job", name, "--print-config"], in: folder)
            #expect(run.status == 2, "\(name): \(run.stderr)")
            #expect(run.stderrLines.count == 1 && run.stderr.hasPrefix("ktape: error: \(expected)"), "\(name): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(name) printed settings: \(run.stdout)")
        }
    }
}
