import ArgumentParser
import Failures
import JobSpec
import Foundation

/// glibc's mallopt with M_TRIM_THRESHOLD, M_MMAP_THRESHOLD and M_ARENA_MAX (<malloc.h>, which
/// Swift's Glibc module does not export).
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let glibcTrimThreshold: Int32 = -1
private let glibcMmapThreshold: Int32 = -3
private let glibcArenaMax: Int32 = -8

/// Entry point. ArgumentParser's own exit codes (64 for usage errors) are mapped onto ktape's
/// contract: 0 done, 2 invalid input, 3 verify found a problem, 1 anything else — and every failure
/// ends in exactly one line on stderr.
@main
enum KtapeMain {
    static func main() async {
        // librdkafka's fetch buffers and the part buffers of small objects are around a megabyte each and
        // come and go all run long. With glibc's defaults they are mapped, faulted in page by page and
        // unmapped again, or the heap top holding them is trimmed and faulted in again: a third of a
        // backup's CPU time. Up to 4 MiB they now stay in the heap for reuse (and 16 MiB of free heap top
        // is kept). Larger buffers, i.e. whole parts of the default 8 MiB and up, are still mapped and
        // returned on free, which keeps memory within DESIGN.md's bound ("Bounded memory"): measured
        // with 16 MiB parts, a threshold of 32 MiB doubled the peak, as freed parts piled up per arena.
        // A fixed threshold also stops glibc from raising it by itself after each large free.
        // Each arena keeps its own free memory, and glibc gives threads up to eight arenas per core;
        // with the blocking threads (Threads.BlockingPool) that raised a 1 GB backup's peak from
        // about 145 to 190 MiB. Four arenas kept it at 140-153 MiB, no slower.
        _ = glibcMallopt(glibcMmapThreshold, 4 << 20)
        _ = glibcMallopt(glibcTrimThreshold, 16 << 20)
        _ = glibcMallopt(glibcArenaMax, 4)
        StandardStreams.prepare()
        OpenFilesLimit.raise()
        Interrupts.install()
        exit(StandardStreams.settle(await run(Array(CommandLine.arguments.dropFirst()))))
    }

    static func run(_ arguments: [String]) async -> Int32 {
        let started = Date()
        let command: ParsableCommand
        do {
            command = try Ktape.parseAsRoot(arguments)
        } catch {
            if Ktape.exitCode(for: error) == .success {
                print(Ktape.fullMessage(for: error, columns: Console.helpColumns))
                return 0
            }
            reportParseFailureAsAsked(arguments)
            Console.standard.failure("\(Ktape.message(for: error)) (see 'ktape --help')")
            return ExitStatus.invalidInput
        }
        // Only a subcommand's run needs descriptors: help (ArgumentParser's own command, not async)
        // and the bare root answer whatever the limit.
        if command is AsyncParsableCommand, !(command is Ktape), let failure = OpenFilesLimit.tooLow() {
            Console.standard.failure(failure.message)
            return failure.exitStatus
        }
        do {
            var command = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.done
        } catch let failure as RunFailure {
            let duration = LogFields().with("duration_ms", Int64(Date().timeIntervalSince(started) * 1000))
            Console.standard.failure(failure.message, ErrorFields.of(failure).merging(duration))
            return failure.exitStatus
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            // `--help` parses into ArgumentParser's help command, whose run() throws a clean exit.
            if Ktape.exitCode(for: error) == .success {
                print(Ktape.fullMessage(for: error, columns: Console.helpColumns))
                return 0
            }
            Console.standard.failure(String(describing: error))
            return ExitStatus.failure
        }
    }

    /// A line that refuses the command line itself still goes out in the format it asks for, naming
    /// its command: a scheduler reading JSON lines would otherwise meet one plain-text line.
    static func reportParseFailureAsAsked(_ arguments: [String]) {
        let options = arguments.prefix { $0 != "--" }
        let json =
            zip(options, options.dropFirst()).contains { $0 == "--log-format" && $1 == "json" } || options.contains("--log-format=json")
        guard json else { return }
        Console.configure(format: .json, verbose: false)
        if let command = options.first.flatMap(JobCommand.init(rawValue:)) { Console.nameCommand(command) }
    }
}

struct Ktape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ktape",
        abstract: "Back up Kafka topics into object storage and restore them, partition for partition.",
        discussion: """
            Stores: s3://bucket[/prefix], file:///path or a plain directory. Objects follow the \
            Confluent S3 sink layout, <topics-dir>/<topic>/partition=<p>/<topic>+<p>+<offset>.<ext>, \
            with ktape's manifests beside them under _ktape/.

            Exit codes: 0 done; 2 settings a rerun cannot cure (flags, job file, no such bucket, \
            credentials missing or refused, unknown topic, partition mismatch; see docs/operations.md); \
            3 verify found a problem; 1 any other failure (worth a retry).
            """,
        version: KtapeVersion.text,
        subcommands: [
            BackupCommand.self, RestoreCommand.self, PruneCommand.self, LsCommand.self, VerifyCommand.self, DemoCommand.self,
            BenchStoreCommand.self
        ]
    )
}
