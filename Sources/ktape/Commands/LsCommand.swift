import ArgumentParser
import Failures
import Foundation
import Inspection
import Layout
import JobSpec

struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List a store: topics, partitions, offset ranges, objects, bytes and backup runs.",
        discussion: """
            Offsets and record counts come from the run manifests; a store without them (a Confluent \
            sink's bucket) is described from the listing. Objects no manifest names are listed too.

            Examples:
              ktape ls --store s3://backups/prod
              ktape ls --store ./ktape-demo --json | jq '.topics[].name'

            Exit codes: 0 listed (an empty store included); 2 invalid input, a bucket or credentials the \
            store refuses, or a manifest that cannot be read; 1 the store could not be listed (worth a retry).
            """
    )

    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Logs") var log: LogOptions

    @Flag(name: .long, help: "Print one JSON document on stdout (default: a table).")
    var json = false

    func run() async throws {
        var flags = JobDocument()
        store.add(to: &flags)
        log.add(to: &flags)
        flags.flag(.json, set: json)
        let spec = try await InspectedStore.settings(command: .ls, flags: flags, log: log)
        let opened = try InspectedStore.open(spec)
        let summary: StoreSummary
        do {
            summary = try await StoreSummary.load(store: opened.store, layout: opened.layout)
        } catch let error as InspectionError {
            throw InspectedStore.failure(error)
        }
        if spec.inspect?.json.value == true {
            print(try summary.jsonText())
        } else {
            print(summary.tableText(), terminator: "")
        }
    }
}

/// Opening a store for `ls` and `verify`: read-only, so a directory that does not exist is refused
/// rather than created.
enum InspectedStore {
    /// The flags validated as a job of `command`; the console set up from them and the run named.
    static func settings(command: JobCommand, flags: JobDocument, log: LogOptions) async throws -> JobSpec {
        log.applyBeforeValidation(command: command)
        let spec = try await EffectiveJob.load(command: command, jobPath: nil, flags: flags)
        Console.configure(spec.common)
        Console.startRun(
            command: command, runId: RunID(startedAt: Date(), shard: command.rawValue, randomSuffix: UInt32.random(in: .min ... .max)))
        return spec
    }

    static func open(_ spec: JobSpec, connections: Int = 8) throws -> OpenedStore {
        do { return try StoreOpening.open(spec.common, creating: false, connections: connections) } catch {
            throw RunFailure.invalidInput("store \(spec.common.store.value): \(error)")
        }
    }

    /// A store that refuses the job's bucket or credentials, a manifest that cannot be read, a layout
    /// ktape cannot describe: invalid input (exit 2); a store that could not be listed: failure (exit 1).
    static func failure(_ error: InspectionError) -> RunFailure {
        switch error {
        case .store(let store):
            return store.isConfigurationError
                ? .invalidInput(error.description, cause: store)
                : .failure(error.description, cause: store)
        case .unreadableManifest: return .invalidInput(error.description)
        }
    }
}
