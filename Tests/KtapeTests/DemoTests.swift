import Foundation
import KtapeTestSupport
import Testing

@Suite("ktape demo")
struct DemoTests {
    @Test func demoBacksUpRestoresAndComparesEveryRecord() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for round in 1...2 {  // a rerun replaces the store it left
            let run = try KtapeProcess.run(["demo", "--records", "300"], in: directory)
            #expect(run.status == 0, "demo round \(round) failed: \(run.stderr)")
            #expect(run.stdout.contains("compared 600 records (key, value, headers, timestamp, partition, order): 0 differ"))
            #expect(run.stdout.contains("backup 2"), "no backup summary line")
            #expect(run.stdout.contains("records checked: no problems"), "verify did not pass")
            #expect(run.stdout.contains("total: 2 topics, 5 partitions"), "ls table missing")
            #expect(run.stdout.contains("restored 600 records into 2 topics"))
            for library in ["librdkafka", "libcurl", "zlib", "OpenSSL"] {
                let line = run.stdout.split(separator: "\n").first { $0.hasPrefix(library) }
                #expect(line.map { $0.split(separator: " ").count >= 2 } == true, "no version line for \(library)")
            }
            let store = directory.appendingPathComponent("ktape-demo")
            let runs = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("_ktape/runs").path)
            #expect(runs.count == 1, "round \(round): \(runs)")
            let orders = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("topics/demo.orders").path)
            #expect(orders.sorted() == ["partition=0", "partition=1", "partition=2"])
        }
    }

    @Test func demoLeavesAForeignDirectoryAlone() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let foreign = directory.appendingPathComponent("ktape-demo")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let run = try KtapeProcess.run(["demo", "--records", "10"], in: directory)
        #expect(run.status == 2)  // a rerun meets the same directory
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("is not a ktape demo store"))
        #expect(FileManager.default.fileExists(atPath: foreign.appendingPathComponent("notes.txt").path))
    }

    @Test func demoRefusesZeroRecords() throws {
        let run = try KtapeProcess.run(["demo", "--records", "0"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
    }
}
