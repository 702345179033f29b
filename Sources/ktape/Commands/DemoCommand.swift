import ArgumentParser
import Failures
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run an embedded backup and restore end to end; needs no servers.",
        discussion: """
            Starts librdkafka's mock Kafka cluster inside this process, fills two topics with varied \
            records (keys, headers, binary values, tombstones), backs them up into ./ktape-demo, \
            restores them under new names into partition-matched topics and compares every record. \
            Exits 0 only when everything matched. The store stays in ./ktape-demo to look at \
            (ktape ls --store ./ktape-demo); a rerun replaces it (a directory holding anything else is \
            left alone, exit 2).

            Example:
              ktape demo
            """
    )

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Records per topic.", valueName: "n"))
    var records: Int = 1000

    @Option(name: .long, help: ArgumentHelp("Where the demo's store goes.", valueName: "dir"))
    var store: String = "ktape-demo"

    func validate() throws {
        guard records >= 1 else { throw ValidationError("--records must be at least 1 (got \(records))") }
    }

    func run() async throws {
        for (name, version) in LibraryVersions.all {
            print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(version)")
        }
        let path = store.hasPrefix("/") ? store : FileManager.default.currentDirectoryPath + "/" + store
        let report = try await DemoRun(storePath: path, recordsPerTopic: records, say: { print($0) }).run()
        if let first = report.mismatches.first {
            throw RunFailure.failure("demo: \(report.mismatches.count) record(s) differed, first: \(first)")
        }
    }
}
