import ArgumentParser
import Foundation

/// Entry point. ArgumentParser's own exit codes (64 for usage errors) are mapped onto ktape's
/// contract: 0 done, 2 invalid input, 3 verify found a problem, 1 anything else — and every failure
/// ends in exactly one line on stderr.
/// glibc's mallopt and M_MMAP_THRESHOLD (<malloc.h>, which Swift's Glibc module does not export).
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let glibcMmapThreshold: Int32 = -3

@main
enum KtapeMain {
    static func main() async {
        // glibc raises its mmap threshold after each large free, so freed part buffers would stay
        // in the heap and peak memory would creep up with object size; a fixed threshold keeps the
        // bound of DESIGN.md ("Bounded memory") true.
        _ = glibcMallopt(glibcMmapThreshold, 1 << 20)
        exit(await run(Array(CommandLine.arguments.dropFirst())))
    }

    static func run(_ arguments: [String]) async -> Int32 {
        let command: ParsableCommand
        do {
            command = try Ktape.parseAsRoot(arguments)
        } catch {
            if Ktape.exitCode(for: error) == .success {
                print(Ktape.fullMessage(for: error, columns: Console.helpColumns))
                return 0
            }
            Console.standard.failure("\(Ktape.message(for: error)) (see 'ktape --help')")
            return ExitStatus.invalidInput
        }
        do {
            var command = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.done
        } catch let failure as CommandFailure {
            Console.standard.failure(failure.message)
            return failure.status
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
}

struct Ktape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ktape",
        abstract: "Back up Kafka topics into object storage and restore them, partition for partition.",
        discussion: """
            Stores: s3://bucket[/prefix], file:///path or a plain directory. Objects follow the \
            Confluent S3 sink layout, <topics-dir>/<topic>/partition=<p>/<topic>+<p>+<offset>.<ext>, \
            with ktape's manifests beside them under _ktape/.

            Exit codes: 0 done; 2 invalid input found before any work started; 3 verify found a \
            problem; 1 any other failure.
            """,
        version: KtapeVersion.string,
        subcommands: [BackupCommand.self, RestoreCommand.self, LsCommand.self, VerifyCommand.self, DemoCommand.self,
                      BenchStoreCommand.self]
    )
}
