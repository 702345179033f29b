import ArgumentParser
import Foundation
import Kafka

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run an embedded end-to-end demonstration; needs no servers.",
        discussion: """
            Starts librdkafka's mock Kafka cluster inside this process, produces varied records \
            (keys, headers, binary values, tombstones), reads them back and compares every record. \
            Exits 0 only when everything matched.

            Example:
              ktape demo
            """
    )

    @Option(name: .long, help: ArgumentHelp("Records to produce (default: 1000).", valueName: "n"))
    var records: Int = 1000

    func validate() throws {
        guard records >= 1 else { throw ValidationError("--records must be at least 1 (got \(records))") }
    }

    func run() async throws {
        let report = try await Task.detached { try KafkaRoundTripDemo(recordCount: records).run() }.value
        for (name, version) in LibraryVersions.all {
            print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(version)")
        }
        print(report.summary)
        if !report.mismatches.isEmpty {
            throw CommandFailure.failure("demo: \(report.mismatches.count) record(s) differed, first: \(report.mismatches[0])")
        }
    }
}
