import Foundation
import KtapeTestSupport
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// The `ktape` binary killed with SIGKILL mid-run and run again ends with exactly the objects, byte
/// for byte, of a clean run: no manifest was written, so the rerun starts from the same checkpoint.
@Suite struct KilledRunTests {
    @Test func killedRunRerunGivesTheObjectsOfACleanRun() async throws {
        let binary = KtapeProcess.binary.path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no ktape binary at \(binary); build it or set KTAPE_BIN")
        let mock = try MockKafkaProcess(topic: "killed", partitions: 2)
        defer { mock.stop() }
        var config = KafkaConfig(bootstrapServers: mock.bootstrap)
        try config.set("linger.ms", "5")
        let log = DeliveryLog()
        let producer = try KafkaProducer(config: config, onDelivery: log.append)
        for n in 0..<16_000 {
            let value = Array("{\"n\":\(n),\"payload\":\"\(String(repeating: "x", count: 100))\"}".utf8)
            try producer.produce(
                KafkaProducerRecord(
                    topic: "killed", partition: Int32(n % 2), key: Array("k\(n)".utf8),
                    value: value, timestamp: 1_700_000_000_000 + Int64(n)), id: UInt64(n))
        }
        try producer.flush(timeoutMilliseconds: 30_000)
        #expect(log.reports.count == 16_000 && log.reports.allSatisfy { $0.error == nil })

        let scratch = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let killedStore = scratch.appendingPathComponent("killed")
        let cleanStore = scratch.appendingPathComponent("clean")
        let arguments = ["backup", "-b", mock.bootstrap, "--topics", "killed", "--flush-size", "10", "--max-open-objects", "1"]

        // Start, wait for the first objects, SIGKILL.
        let victim = try KtapeProcess.start(arguments + ["--store", killedStore.path], output: scratch)
        let topicsDir = killedStore.appendingPathComponent("topics")
        let deadline = Date().addingTimeInterval(300)  // the loop ends once they are there: generous for a loaded machine
        while Self.files(under: topicsDir).count < 3, victim.isRunning, Date() < deadline { usleep(20_000) }
        #expect(victim.isRunning, "the run ended before it could be killed; give it more records")
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let leftBehind = Self.files(under: topicsDir).count
        #expect(leftBehind >= 3)
        #expect(Self.files(under: killedStore.appendingPathComponent("_ktape/runs")).isEmpty)

        let rerun = try KtapeProcess.run(arguments + ["--store", killedStore.path])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let summaryFile = scratch.appendingPathComponent("summary.json")
        let clean = try KtapeProcess.run(arguments + ["--store", cleanStore.path, "--summary-json", summaryFile.path])
        #expect(clean.status == 0, "\(clean.stderr)")
        let summary = try JSONDecoder().decode(BackupSummary.self, from: Data(contentsOf: summaryFile))
        #expect(summary.records == 16_000 && summary.objects == 1_600 && summary.partitions == 2)
        #expect(summary.manifestKey?.hasPrefix("_ktape/runs/") == true)

        let afterKill = try Self.contents(under: topicsDir)
        let fresh = try Self.contents(under: cleanStore.appendingPathComponent("topics"))
        #expect(afterKill.count == 1_600)
        #expect(afterKill.keys.sorted() == fresh.keys.sorted())
        #expect(afterKill == fresh)
        let store = try LocalDirectoryStore(root: killedStore.path)
        let manifests = try await StoreContents.manifests(store)
        // The rerun took the killed run's manifest key with a placeholder (so that no late write of
        // the killed run's manifest can land), and wrote its own.
        let (placeholders, runs) = (manifests.filter(\.isPlaceholder), manifests.filter { !$0.isPlaceholder })
        #expect(placeholders.count == 1 && placeholders.first?.objects.isEmpty == true)
        #expect(runs.count == 1)
        #expect(runs.first?.objects.count == 1_600)
        #expect(placeholders.first?.takenOverBy == runs.first?.runId)
        #expect(manifests.continuityProblems().isEmpty)
        #expect(rerun.stderr.contains("ended without giving up its lease (killed); waiting 10 s"), "\(rerun.stderr)")
    }

    static func files(under folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { !$0.hasSuffix("/") && $0.contains(".ktape.json") && !$0.contains(".tmp") }
    }

    static func contents(under folder: URL) throws -> [String: Data] {
        var all: [String: Data] = [:]
        for path in files(under: folder) {
            var isDirectory: ObjCBool = false
            let url = folder.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                all[path] = try Data(contentsOf: url)
            }
        }
        return all
    }
}
