import Foundation
import Testing

@Suite("ktape demo")
struct DemoTests {
    @Test func demoRoundTripsEveryRecordAndReportsLibraries() throws {
        let run = try KtapeProcess.run(["demo", "--records", "300"])
        #expect(run.status == 0, "demo failed: \(run.stderr)")
        #expect(run.stdout.contains("300 records produced, 300 read back, 0 mismatches"))
        for library in ["librdkafka", "libcurl", "zlib", "OpenSSL"] {
            let line = run.stdout.split(separator: "\n").first { $0.hasPrefix(library) }
            #expect(line.map { $0.split(separator: " ").count >= 2 } == true, "no version line for \(library)")
        }
    }

    @Test func demoRefusesZeroRecords() throws {
        let run = try KtapeProcess.run(["demo", "--records", "0"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
    }
}
