import Foundation
import KtapeTestSupport
import Testing

/// docs/verify.md's cross-account handoff runs as written: every command in its code blocks, in
/// order, through bash, against a local S3 server (buckets team-a-backups and team-b-inbox) and two
/// local Kafka clusters, with `ktape` and `aws` on the PATH and nothing else substituted.
@Suite struct HandoffWalkthroughTests {
    static func commands() throws -> [String] {
        let text = try String(contentsOf: KtapeProcess.repositoryRoot.appendingPathComponent("docs/verify.md"), encoding: .utf8)
        guard let start = text.range(of: "## Cross-account handoff, step by step") else { throw TestSetupError("the handoff section is gone") }
        let body = String(text[start.upperBound...]).components(separatedBy: "\n## ").first ?? ""
        var commands: [String] = []
        var inBlock = false
        for line in body.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") { inBlock.toggle(); continue }
            if inBlock, !trimmed.isEmpty, !trimmed.hasPrefix("#") { commands.append(trimmed) }
        }
        return commands
    }

    @Test func theHandoffRunsAsWritten() async throws {
        let commands = try Self.commands()
        #expect(commands.count >= 6, "\(commands)")
        #expect(commands.contains { $0.hasPrefix("aws s3 sync") })
        let server = try S3HandoffTests.Server(buckets: ["team-a-backups", "team-b-inbox"])
        let teamA = try MockKafkaProcess(topic: "events.orders", partitions: 3)
        defer { teamA.stop() }
        let teamB = try MockKafkaProcess(topic: "events.orders", partitions: 3)
        defer { teamB.stop() }
        try await ReliabilityTests.produce(teamA.bootstrap, topic: "events.orders", count: 1_200)

        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("ktape").path, withDestinationPath: KtapeProcess.binary.path)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("aws").path,
                                                   withDestinationPath: S3ReliabilityTests.aws)
        var environment = server.environment
        environment["TEAM_A_KAFKA"] = teamA.bootstrap
        environment["TEAM_B_KAFKA"] = teamB.bootstrap
        environment["PATH"] = bin.path + ":/usr/bin:/bin"
        for command in commands {
            let run = try await Tools.run("/bin/bash", ["-c", "cd \(directory.path) && \(command)"], environment: environment)
            #expect(run.status == 0, "\(command): \(run.stdout)\(run.stderr)")
            if command.hasPrefix("ktape verify") { #expect(run.stdout.contains("1200 records checked: no problems"), "\(run.stdout)") }
        }
        #expect(try await ReliabilityTests.count(teamB.bootstrap, topic: "events.orders") == 1_200)
    }
}
