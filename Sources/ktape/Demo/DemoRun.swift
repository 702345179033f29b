import Backup
import Failures
import Foundation
import Inspection
import Kafka
import Layout
import ObjectStore
import Restore
import JobSpec

/// `ktape demo`: a whole backup → restore on librdkafka's in-process mock cluster, into a local
/// store the user can look at afterwards, with every restored record compared to its source.
struct DemoRun {
    struct Report {
        var lines: [String]
        var mismatches: [String]
    }

    let storePath: String
    let recordsPerTopic: Int
    let say: (String) -> Void

    func run() async throws -> Report {
        let started = Date()
        try DemoStoreDirectory.prepare(storePath)
        let cluster = try KafkaMockCluster(brokers: 3)
        let targets = DemoRecords.topics.map { (source: $0.name, target: "restored." + $0.name.dropFirst("demo.".count), $0.partitions) }
        for (source, target, partitions) in targets {
            try cluster.createTopic(source, partitions: partitions)
            // The mock cluster does not answer CreateTopics, so the targets are made here, as an
            // administrator would make them before a restore without --create-topics.
            try cluster.createTopic(target, partitions: partitions)
        }
        say("mock Kafka cluster: \(cluster.brokerIDs.count) brokers at \(cluster.bootstrapServers)")

        let produced = try await KafkaBlocking.run { [recordsPerTopic] in
            try DemoKafka.produce(
                DemoRecords.topics.flatMap { topic in
                    (0..<recordsPerTopic).map { DemoRecords.record(topic: topic.name, partitions: topic.partitions, index: $0) }
                }, config: cluster.config)
        }
        say("produced \(produced) records into \(DemoRecords.topics.map(\.name).joined(separator: ", "))")

        let store = try LocalDirectoryStore(root: storePath)
        let layout = StoreLayout(prefix: "", topicsDir: "topics")
        let backupSpec = try JobSpec(
            document: Self.document([
                "bootstrap-servers": .scalar(cluster.bootstrapServers), "store": .scalar(storePath),
                "topics": .list(DemoRecords.topics.map(\.name)), "flush-size": .scalar("250")
            ]), command: .backup)
        guard let backupSettings = backupSpec.backup else { throw RunFailure.failure("demo: no backup settings") }
        var backupRequest = BackupRequest(job: "demo", settings: backupSettings, kafka: cluster.config, store: store, layout: layout)
        // The mock cluster answers neither DescribeConfigs nor ListGroups: do not wait long for them.
        backupRequest.clusterFactsTimeout = 1
        let backup = try await BackupEngine.run(backupRequest)
        say("backup:  \(backup.line)")

        let summary = try await StoreSummary.load(store: store, layout: layout)
        say("ls:\n" + summary.tableText().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        let verified = try await StoreVerifier(store: store, layout: layout).run()
        say(verified.summaryLine)
        guard verified.isClean else {
            throw RunFailure.failure("demo: verify found \(verified.problems.count) problem(s), first: \(verified.problems[0])")
        }

        var restoreOptions = RestoreOptions(kafka: cluster.config)
        restoreOptions.bestEffortTimeoutMilliseconds = 1_000
        restoreOptions.rename = try RegexRouter(regex: #"demo\.(.*)"#, replacement: "restored.$1")
        let restore = try await RestoreEngine(store: store, layout: layout, options: restoreOptions).run()
        say("restore: \(restore.summary.line)")

        var mismatches: [String] = []
        for (source, target, partitions) in targets {
            let (original, restored) = try await KafkaBlocking.run {
                (
                    try DemoKafka.readAll(topic: source, partitions: partitions, config: cluster.config),
                    try DemoKafka.readAll(topic: target, partitions: partitions, config: cluster.config)
                )
            }
            mismatches += DemoKafka.differences(source: source, original, target: target, restored)
        }
        let compared = recordsPerTopic * DemoRecords.topics.count
        say("compared \(compared) records (key, value, headers, timestamp, partition, order): \(mismatches.count) differ")
        say(String(format: "store left in %@ for you to look at (%.1f s in all)", storePath, Date().timeIntervalSince(started)))
        return Report(lines: [], mismatches: mismatches)
    }

    static func document(_ values: [String: JobRawValue]) -> JobDocument {
        var document = JobDocument()
        for (key, value) in values { document.setFlag(key, value) }
        return document
    }
}

/// The demo's store directory: replaced on each run, but only when it is one the demo made.
enum DemoStoreDirectory {
    static func prepare(_ path: String) throws {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isDirectory) {
            let entries = (try? files.contentsOfDirectory(atPath: path)) ?? []
            // Besides the layout's folders, only the directory store's own `.ktape-` files.
            guard isDirectory.boolValue,
                entries.allSatisfy({ $0 == "topics" || $0 == StoreLayout.metadataFolder || $0.hasPrefix(".ktape-") })
            else {
                throw RunFailure.invalidInput("demo: \(path) exists and is not a ktape demo store; move it away or run the demo elsewhere")
            }
            try files.removeItem(atPath: path)
        }
    }
}
