import Foundation
import Spawn
import KtapeTestSupport
import Testing

@Suite("ktape command line")
struct CommandLineTests {
    @Test func helpListsEveryCommandOfTheDesign() throws {
        let run = try KtapeProcess.run(["--help"])
        #expect(run.status == 0)
        for command in ["backup", "restore", "ls", "verify", "demo"] {
            #expect(run.stdout.contains("\n  \(command) "), "--help does not list \(command)")
        }
        #expect(run.stdout.contains("Exit codes"))
    }

    @Test(arguments: ["backup", "restore"])
    func commandHelpShowsDefaults(command: String) throws {
        let run = try KtapeProcess.run([command, "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("--bootstrap-servers"))
        #expect(run.stdout.contains("Examples:"))
        // Every option line documents its default.
        let optionHelp = run.stdout.split(separator: "\n").filter {
            $0.hasPrefix("  -") && !$0.contains("--help") && !$0.contains("--version")
        }
        #expect(!optionHelp.isEmpty)
    }

    /// Each option names its default once (before, verify --help said "(default: 4). (default: 4)":
    /// ArgumentParser adds the default of an option that has one to the help text that named it).
    @Test(arguments: ["backup", "restore", "prune", "ls", "verify", "demo"])
    func helpNamesEachDefaultOnce(command: String) throws {
        let run = try KtapeProcess.run([command, "--help"])
        #expect(run.status == 0)
        let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.firstRange(of: /\(default: [^)]*\)\.? \(default:/) == nil, "\(run.stdout)")
    }

    @Test func unknownFlagIsOneLineAndExitTwo() throws {
        let run = try KtapeProcess.run(["backup", "--no-such-flag"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("--no-such-flag"))
        #expect(run.stdout.isEmpty)
    }

    @Test func unknownCommandIsExitTwo() throws {
        let run = try KtapeProcess.run(["frobnicate"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
    }

    @Test func malformedPropertyIsRejected() throws {
        let run = try KtapeProcess.run(["backup", "-b", "127.0.0.1:1", "--store", "/tmp/x", "--topics", "a", "-X", "novalue"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("-X novalue"))
    }

    /// librdkafka takes `-X bootstrap.servers` over `-b`, and every message then named the wrong list.
    /// Refused wherever it is given (a job file's line named), `--print-config` included.
    @Test(arguments: ["bootstrap.servers", "metadata.broker.list"]) func aBrokerListGivenAsAPropertyIsRefused(key: String) throws {
        let reason = "\(key) would replace the bootstrap-servers list: give the brokers with -b (bootstrap-servers) alone"
        for extra in [[], ["--print-config"]] {
            let run = try KtapeProcess.run(
                ["backup", "-b", "127.0.0.1:1", "--store", "/tmp/x", "--topics", "a", "-X", "\(key)=127.0.0.1:2"] + extra)
            #expect(run.status == 2)
            #expect(run.stderrLines == ["ktape: error: -X: \(reason)"], "\(run.stderr)")
        }
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let job = directory.appendingPathComponent("job.yaml")
        try "store: /tmp/x\ntopics: a\nbootstrap-servers: 127.0.0.1:1\nX:\n  \(key): 127.0.0.1:2\n".write(
            to: job, atomically: true, encoding: .utf8)
        let run = try KtapeProcess.run(["backup", "--job", job.path])
        #expect(run.status == 2)
        #expect(run.stderrLines == ["ktape: error: \(job.path):4: X: \(reason)"], "\(run.stderr)")
    }

    @Test func versionNamesReleaseCommitAndLibraries() throws {
        let run = try KtapeProcess.run(["--version"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.range(of: #"^ktape \d+\.\d+\.\d+$"#, options: .regularExpression) != nil, "\(run.stdout)")
        // The commit is the checkout's own (this test runs inside it), read by git when the binary was built.
        let git = ChildProcess()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", KtapeProcess.repositoryRoot.path, "rev-parse", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        try git.run()
        git.waitUntilExit()
        let head = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try #require(lines.first { $0.hasPrefix("commit ") })
        #expect(commit == "commit \(head)" || commit == "commit \(head)-dirty", "\(commit) is not HEAD \(head)")
        for library in ["librdkafka 2.", "libcurl 7.", "zlib 1.", "OpenSSL 3."] {
            #expect(lines.contains { $0.hasPrefix(library) }, "--version does not name \(library): \(run.stdout)")
        }
    }
}

@Suite("job files and flags")
struct JobSettingsTests {
    static let fixtures = KtapeProcess.repositoryRoot.appendingPathComponent("fixtures/jobs")

    @Test func printConfigMasksSecretsAndShowsOrigins() throws {
        let job = Self.fixtures.appendingPathComponent("nightly-snapshot.yaml").path
        let run = try KtapeProcess.run(["backup", "--job", job, "--flush-size", "7", "--print-config"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("flush-size: 7  # flag"))
        #expect(run.stdout.contains("sasl.password: \"***\""))
        let secret = try String(contentsOfFile: job, encoding: .utf8)
            .split(separator: "\n").first { $0.contains("sasl.password") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        let unmasked = try #require(secret)
        #expect(!unmasked.isEmpty && !run.stdout.contains(unmasked))
    }

    /// A job file's `true` is turned off from the command line with the flag's `--no-` form.
    @Test func noFormOfABooleanFlagOverridesTheJobFile() throws {
        let job = Self.fixtures.appendingPathComponent("migration-restore.yaml").path
        let kept = try KtapeProcess.run(["restore", "--job", job, "--print-config"])
        #expect(kept.status == 0)
        #expect(kept.stdout.contains("create-topics: true  # \(job):"), "\(kept.stdout)")
        let off = try KtapeProcess.run(["restore", "--job", job, "--no-create-topics", "--dry-run", "--print-config"])
        #expect(off.status == 0)
        #expect(off.stdout.contains("create-topics: false  # flag"))
        #expect(off.stdout.contains("dry-run: true  # flag"))

        // A flag without a --no- form, not given, leaves the file's true alone.
        let verbose = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-verbose-\(UUID().uuidString).yaml").path
        try "bootstrap-servers: 127.0.0.1:1\nstore: /tmp/x\ntopics: a\nverbose: true\n".write(
            toFile: verbose, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: verbose) }
        let fromFile = try KtapeProcess.run(["backup", "--job", verbose, "--print-config"])
        #expect(fromFile.stdout.contains("verbose: true  # \(verbose):4"), "\(fromFile.stdout)")
    }

    @Test func invalidFlagValueIsOneLineExitTwo() throws {
        let run = try KtapeProcess.run(["backup", "-b", "127.0.0.1:1", "--store", "/tmp/x", "--topics", "a", "--part-size", "1MiB"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("--part-size"))
    }

    @Test func brokenJobFileNamesTheLine() throws {
        let dir = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let job = dir.appendingPathComponent("bad.yaml")
        try "bootstrap-servers: k:9092\nstore: /tmp/x\ntopics: [a]\nflush-size: 0\n".write(to: job, atomically: true, encoding: .utf8)
        let run = try KtapeProcess.run(["backup", "--job", job.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("bad.yaml:4: flush-size"))
    }

    /// A second `--job` replaced the first in silence: one of two nightly jobs never ran.
    @Test(arguments: ["backup", "restore", "prune"]) func aSecondJobFileIsRefused(command: String) throws {
        let run = try KtapeProcess.run([command, "--job", "a.yaml", "--job", "b.yaml", "--print-config"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("--job given 2 times (a.yaml, b.yaml)"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func restoreSettingInBackupJobIsRefused() throws {
        let run = try KtapeProcess.run([
            "backup", "-b", "k:1", "--store", "/tmp/x", "--topics", "a", "--job",
            Self.fixtures.appendingPathComponent("migration-restore.yaml").path
        ])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("restore setting"))
    }
}
