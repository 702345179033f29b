import ArgumentParser
import Foundation
import Inspection
import Layout

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

    @Flag(name: .long, help: "Print one JSON document on stdout (default: a table).")
    var json = false

    func run() async throws {
        let opened = try InspectedStore.open(store, command: .ls)
        let summary: StoreSummary
        do {
            summary = try StoreSummary(try await StoreContents.load(store: opened.store, layout: opened.layout))
        } catch let error as InspectionError {
            throw InspectedStore.failure(error)
        }
        if json {
            print(try summary.jsonText())
        } else {
            print(summary.tableText(), terminator: "")
        }
    }
}

/// Opening a store for `ls` and `verify`: read-only, so a directory that does not exist is refused
/// rather than created.
enum InspectedStore {
    static func open(_ options: StoreOptions, command: JobCommand) throws -> OpenedStore {
        var flags = JobDocument()
        options.add(to: &flags)
        let spec = try EffectiveJob.load(command: command, jobPath: nil, flags: flags)
        do { return try StoreOpening.open(spec.common, creating: false) } catch {
            throw CommandFailure.invalidInput("store \(spec.common.store.value): \(error)")
        }
    }

    /// A store that refuses the job's bucket or credentials, a manifest that cannot be read, a layout
    /// ktape cannot describe: invalid input (exit 2); a store that could not be listed: failure (exit 1).
    static func failure(_ error: InspectionError) -> CommandFailure {
        switch error {
        case .store(let store): return store.isConfigurationError ? .invalidInput(error.description) : .failure(error.description)
        case .unreadableManifest: return .invalidInput(error.description)
        }
    }
}
