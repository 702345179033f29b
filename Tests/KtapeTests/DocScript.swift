import Foundation
import KtapeTestSupport

/// Runs one file's commands, in order, in one bash process (so `pid=$!` in one command is there for
/// `kill "$pid"` in the next), each with its output in files of its own, stopping at the first that
/// ends with another status than it should.
enum DocScript {
    struct Outcome {
        var command: DocCommand
        /// nil when an earlier command failed and this one never ran.
        var status: Int32?
        var stdout: String
        var stderr: String

        var passed: Bool { status == command.expectedStatus }
    }

    /// The longest a file's commands may take together; bash and everything it started are then killed.
    static let timeoutSeconds = 120

    static func run(_ commands: [DocCommand], in world: DocWorld) async throws -> [Outcome] {
        let output = world.directory.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let script = output.appendingPathComponent("commands.sh")
        try text(commands, output: output).write(to: script, atomically: true, encoding: .utf8)
        let run = try await Tools.run(
            "/bin/bash", [script.path], environment: world.environment, timeout: timeoutSeconds,
            in: world.workDirectory)
        var outcomes: [Outcome] = []
        for (index, command) in commands.enumerated() {
            func read(_ name: String) -> String {
                (try? String(contentsOf: output.appendingPathComponent("\(index).\(name)"), encoding: .utf8)) ?? ""
            }
            var outcome = Outcome(
                command: command, status: Int32(read("status").trimmingCharacters(in: .whitespacesAndNewlines)),
                stdout: read("stdout"), stderr: read("stderr"))
            // Reached but never finished: bash itself failed there, or the time ran out.
            if outcome.status == nil, outcomes.allSatisfy(\.passed) {
                outcome.stderr += "\(run.stderr)bash ended with status \(run.status) (timeout: \(timeoutSeconds) s)"
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// The script: pipelines fail when any part fails, and background jobs die with the script.
    static func text(_ commands: [DocCommand], output: URL) -> String {
        var lines = ["set -o pipefail", "trap 'kill $(jobs -p) 2>/dev/null' EXIT"]
        for (index, command) in commands.enumerated() {
            let file = { (name: String) in "'\(output.path)/\(index).\(name)'" }
            // The closing brace on a line of its own: the command may end in a comment.
            lines.append("{ \(command.text)\n} > \(file("stdout")) 2> \(file("stderr"))")
            lines.append("status=$?; echo $status > \(file("status"))")
            lines.append("[ $status -eq \(command.expectedStatus) ] || exit 0")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
