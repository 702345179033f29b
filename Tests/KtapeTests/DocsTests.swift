import Foundation
import KtapeTestSupport
import Testing

/// Issue 16, "docs that run": every command in the `sh` blocks of README.md and docs/*.md runs as
/// written, file by file in doc order, against local servers (DocWorld); a block that cannot run here
/// says why in a `<!-- not run: reason -->` line, and a ktape or AWS CLI command in any other block
/// fails the test, so a new command cannot rot unseen.
@Suite struct DocsTests {
    static let root = KtapeProcess.repositoryRoot

    static func blocks() throws -> [DocBlock] {
        try DocBlocks.documentationFiles(root: root).flatMap { try DocBlocks.blocks(ofFile: $0, root: root) }
    }

    /// The files with commands to run (an empty list when the docs cannot be read: the test below fails then).
    static var filesToRun: [String] {
        let files = (try? blocks().filter(\.isRun).map(\.file)) ?? []
        return files.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    @Test func everyCommandIsRunOrMarkedNotRun() throws {
        let blocks = try Self.blocks()
        for block in blocks where !block.isRun && block.notRunReason == nil {
            for line in block.commandLines {
                Issue.record(
                    "\(block.file):\(line.number): \(line.text.trimmingCharacters(in: .whitespaces)): a command outside an sh block; make the block `sh`, or mark it <!-- not run: reason -->"
                )
            }
        }
        for block in blocks where block.isRun && block.commands.isEmpty {
            Issue.record("\(block.file):\(block.line): an sh block without a command")
        }
        // A floor, so that an extractor that finds nothing cannot pass.
        let run = blocks.filter(\.isRun).flatMap(\.commands)
        #expect(run.count >= 20, "\(run.count) commands run")
        #expect(Self.filesToRun.contains("docs/verify.md") && Self.filesToRun.contains("README.md"))
    }

    @Test(arguments: filesToRun) func commandsRunAsWritten(file: String) async throws {
        let commands = try DocBlocks.blocks(ofFile: file, root: Self.root).filter(\.isRun).flatMap(\.commands)
        let world = try await DocWorld.start(for: commands)
        defer { world.stop() }
        let outcomes = try await DocScript.run(commands, in: world)
        for outcome in outcomes where !outcome.passed {
            let status = outcome.status.map { "exit \($0), expected \(outcome.command.expectedStatus)" } ?? "never finished"
            Issue.record("\(outcome.command): \(status)\n\(outcome.stdout)\(outcome.stderr)")
            return
        }
        try await Self.checkOutcome(of: file, outcomes, in: world)
    }

    /// What a walk-through must leave behind beyond its exit statuses.
    static func checkOutcome(of file: String, _ outcomes: [DocScript.Outcome], in world: DocWorld) async throws {
        guard file == "docs/verify.md", let target = world.target else { return }
        let verify = outcomes.filter { $0.command.text.hasPrefix("ktape verify") }
        // The handoff backs up `events\..*` on team A's side and restores it on team B's.
        let topics = ["events.orders", "events.clicks"]
        let checked = "\(topics.count * DocWorld.recordsPerTopic) records checked: no problems"
        #expect(!verify.isEmpty && verify.allSatisfy { $0.stdout.contains(checked) }, "\(verify.map(\.stdout))")
        for topic in topics {
            #expect(try await ReliabilityTests.count(target.bootstrap, topic: topic) == DocWorld.recordsPerTopic, "\(topic)")
        }
    }
}
