import Backup
import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import Restore
import Testing
import JobSpec
import KtapeTestSupport

let restoreTansuBootstrap = ProcessInfo.processInfo.environment["KTAPE_TANSU_BOOTSTRAP"]

/// What librdkafka's mock cannot answer (CreateTopics, DescribeConfigs, ListGroups), against tansu.
/// Runs under `scripts/with-tansu swift test --filter RestoreTansuTests`; left out without a broker.
@Suite(.enabled(if: restoreTansuBootstrap != nil))
struct RestoreTansuTests {
    func options() throws -> RestoreOptions {
        RestoreOptions(kafka: KafkaConfig(bootstrapServers: try #require(restoreTansuBootstrap)))
    }

    /// A topic the backup saw with no record (`empty`) is created too, as a faithful copy needs.
    @Test func createTopicsWithSourceCountAndConfigs() async throws {
        let fixture = StoreFixture()
        let source = "tansu-src-\(UUID().uuidString.prefix(8))"
        let empty = source + "-dlq"
        let records = [Int32(0): awkwardRecords(count: 3, partition: 0), 2: awkwardRecords(count: 2, partition: 2)]
        try await fixture.writeRun(
            [source: records], partitionCounts: [source: 3, empty: 4],
            configs: [source: ["cleanup.policy": "compact", "retention.ms": "86400000"], empty: ["retention.ms": "3600000"]])
        var options = try options()
        options.createTopics = true
        options.replicationFactor = 1
        options.rename = try RegexRouter(regex: "tansu-src-(.*)", replacement: "tansu-dst-$1")
        let result = try await restore(fixture, options)
        let target = options.rename!.route(source)
        #expect(result.plan.topics.first?.action == .create)
        let admin = try KafkaAdmin(config: options.kafka)
        #expect(try admin.topic(target)?.partitionCount == 3)
        let described = try admin.describeTopicConfigs(target)
        #expect(described.contains { $0.name == "cleanup.policy" && $0.value == "compact" })
        let emptyTarget = options.rename!.route(empty)
        #expect(try admin.topic(emptyTarget)?.partitionCount == 4)
        #expect(try admin.describeTopicConfigs(emptyTarget).contains { $0.name == "retention.ms" && $0.value == "3600000" })
        let got = try readTarget(options.kafka, topic: target, partitions: 3)
        #expect(differences(expected: records[0]!, got: got[0] ?? []) == [])
        #expect(differences(expected: records[2]!, got: got[2] ?? []) == [])
    }

    /// Records of 2023 restored into a topic that keeps an hour of records (created so, then existing):
    /// both runs say the broker may delete them, before producing.
    @Test func recordsOlderThanTheTargetsRetentionAreSaidToBeAtRisk() async throws {
        let fixture = StoreFixture()
        let source = "tansu-old-\(UUID().uuidString.prefix(8))"
        try await fixture.writeRun(
            [source: [0: awkwardRecords(count: 4, partition: 0)]], partitionCounts: [source: 1],
            configs: [source: ["retention.ms": "3600000"]])
        var options = try options()
        options.createTopics = true
        options.replicationFactor = 1
        let created = try await restore(fixture, options)
        #expect(created.plan.topics.first?.action == .create)
        let line = "target topic \(source) keeps records for retention.ms=3600000, and restored records keep their timestamps"
        #expect(created.summary.warnings.contains { $0.hasPrefix(line) }, "\(created.summary.warnings)")
        // Caught up, nothing lands: nothing to warn of (it warned on every scheduled run).
        let again = try await restore(fixture, options)
        #expect(again.summary.producedRecords == 0)
        #expect(!again.summary.warnings.contains { $0.hasPrefix(line) }, "\(again.summary.warnings)")
        // The dry run into another, existing target says it too; a LogAppendTime target is judged
        // by append times, so only its own warning is given.
        let admin = try KafkaAdmin(config: options.kafka)
        let other = source + "-copy"
        let appended = source + "-appended"
        _ = try admin.createTopics([
            KafkaNewTopic(name: other, partitions: 1, replicationFactor: 1, configs: ["retention.ms": "3600000"]),
            KafkaNewTopic(
                name: appended, partitions: 1, replicationFactor: 1,
                configs: ["retention.ms": "3600000", "message.timestamp.type": "LogAppendTime"])
        ])
        var dry = options
        dry.dryRun = true
        dry.rename = try RegexRouter(regex: source, replacement: other)
        let planned = try await restore(fixture, dry)
        #expect(
            planned.summary.warnings.contains { $0.hasPrefix("target topic \(other) keeps records for retention.ms=3600000") },
            "\(planned.summary.warnings)")
        var toAppended = options
        toAppended.rename = try RegexRouter(regex: source, replacement: appended)
        let logAppend = try await restore(fixture, toAppended)
        #expect(logAppend.summary.warnings.contains { $0.contains("uses LogAppendTime") }, "\(logAppend.summary.warnings)")
        #expect(!logAppend.summary.warnings.contains { $0.contains("keeps records for retention.ms") }, "\(logAppend.summary.warnings)")
    }

    /// tansu reports a topic's own configs with source DEFAULT_CONFIG: a backup still saves what a
    /// faithful copy needs, and `--create-topics` gives the copy the same cleanup policy and retention.
    @Test func compactedTopicComesBackCompacted() async throws {
        let config = KafkaConfig(bootstrapServers: try #require(restoreTansuBootstrap))
        let admin = try KafkaAdmin(config: config)
        let source = "tansu-compacted-\(UUID().uuidString.prefix(8))"
        let configs = ["cleanup.policy": "compact", "retention.ms": "123456"]
        #expect(try admin.createTopics([KafkaNewTopic(name: source, partitions: 2, replicationFactor: 1, configs: configs)]).isEmpty)
        let producer = try KafkaProducer(config: config, onDelivery: { _ in })
        for i in 0..<6 {
            try producer.produce(
                KafkaProducerRecord(
                    topic: source, partition: Int32(i % 2), key: Array("k\(i % 3)".utf8),
                    value: Array("v\(i)".utf8), headers: [], timestamp: nil), id: UInt64(i))
            // One record per batch: tansu's high watermark counts a batch of several as one offset.
            try producer.flush(timeoutMilliseconds: 30_000)
        }

        let store = MemoryStore()
        let document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar(config.bootstrapServers), "store": .scalar("/unused"),
            "topics": .list([source])
        ]
        let settings = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        _ = try await BackupEngine.run(
            BackupRequest(
                job: "tansu-configs", settings: settings, consumerGroups: nil, kafka: config,
                store: store, layout: StoreLayout()))
        let manifestKey = try #require(try await store.listAll(prefix: StoreLayout().runsFolder).first?.key)
        let manifest = try RunManifest.decode(Data(try await store.get(manifestKey)), name: manifestKey, layout: StoreLayout())
        #expect(manifest.topics.first?.configs["cleanup.policy"] == "compact")
        #expect(manifest.topics.first?.configs["retention.ms"] == "123456")
        #expect(manifest.objects.reduce(0) { $0 + $1.recordCount } == 6, "\(manifest.partitions) \(manifest.objects)")

        var options = try options()
        options.createTopics = true
        options.replicationFactor = 1
        options.rename = try RegexRouter(regex: "tansu-compacted-(.*)", replacement: "tansu-compacted-copy-$1")
        let result = try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        let target = options.rename!.route(source)
        #expect(result.summary.producedRecords == 6)
        // tansu names no broker defaults: every saved config is applied.
        #expect(result.summary.topics.first?.createdConfigs?.applied == configs)
        #expect(result.summary.topics.first?.createdConfigs?.refused == [:])
        let described = Dictionary(
            try admin.describeTopicConfigs(target).compactMap { e in e.value.map { (e.name, $0) } },
            uniquingKeysWith: { a, _ in a })
        #expect(described["cleanup.policy"] == "compact")
        #expect(described["retention.ms"] == "123456")
    }

    /// Committed transactions end each partition on a marker: a run records where its last record
    /// is, the next compares it, and a topic deleted and created again past the checkpoint stops
    /// the run (before, an exactly-once pipeline's partitions had nothing to compare).
    @Test func theLastRecordBeforeACommitMarkerIsCompared() async throws {
        let config = KafkaConfig(bootstrapServers: try #require(restoreTansuBootstrap))
        let admin = try KafkaAdmin(config: config)
        let topic = "tansu-txn-\(UUID().uuidString.prefix(8))"
        func produce(_ values: [String], transactional: Bool) throws {
            var producing = config
            if transactional { try producing.set("transactional.id", "ktape-\(topic)-\(UUID().uuidString.prefix(4))") }
            let producer = try KafkaProducer(config: producing, onDelivery: { _ in })
            if transactional {
                try producer.initTransactions()
                try producer.beginTransaction()
            }
            for (i, value) in values.enumerated() {
                try producer.produce(
                    KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array(value.utf8), headers: [], timestamp: nil),
                    id: UInt64(i))
                // One record per batch: tansu's high watermark counts a batch of several as one offset.
                try producer.flush(timeoutMilliseconds: 30_000)
            }
            if transactional { try producer.commitTransaction() }
        }
        #expect(try admin.createTopics([KafkaNewTopic(name: topic, partitions: 1, replicationFactor: 1)]).isEmpty)
        try produce(["a", "b", "c"], transactional: true)
        let store = MemoryStore()
        let document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar(config.bootstrapServers), "store": .scalar("/unused"), "topics": .list([topic])
        ]
        let settings = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        let request = BackupRequest(
            job: "tansu-txn", settings: settings, consumerGroups: nil, kafka: config, store: store, layout: StoreLayout())
        #expect(try await BackupEngine.run(request).records == 3)
        let manifestKey = try #require(try await store.listAll(prefix: StoreLayout().runsFolder).first?.key)
        let manifest = try RunManifest.decode(Data(try await store.get(manifestKey)), name: manifestKey, layout: StoreLayout())
        let partition = try #require(manifest.partitions.first)
        #expect(partition.endOffset > 3, "the commit marker: \(partition)")
        #expect(partition.lastRecordCrc64nvme != nil && partition.lastRecordOffset == 2, "\(partition)")
        try produce(["d"], transactional: true)
        #expect(try await BackupEngine.run(request).records == 1)

        try PythonKafkaAdmin.deleteTopic(topic, bootstrapServers: config.bootstrapServers)
        #expect(try admin.createTopics([KafkaNewTopic(name: topic, partitions: 1, replicationFactor: 1)]).isEmpty)
        try produce((0..<8).map { "new-\($0)" }, transactional: false)
        let error = await #expect(throws: RunFailure.self) { try await BackupEngine.run(request) }
        #expect(error?.message.contains("is not the one this store backed up there") == true, "\(error?.message ?? "")")
    }

    /// Records of a transaction still open lie past the last stable offset, where a read_committed
    /// backup ends: a partition with nothing else to back up is named, so a transaction left open
    /// (hanging) does not hold its backups back run after run without a word.
    @Test func aPartitionHeldBackByAnOpenTransactionIsNamed() async throws {
        let config = KafkaConfig(bootstrapServers: try #require(restoreTansuBootstrap))
        let admin = try KafkaAdmin(config: config)
        let topic = "tansu-open-\(UUID().uuidString.prefix(8))"
        #expect(try admin.createTopics([KafkaNewTopic(name: topic, partitions: 2, replicationFactor: 1)]).isEmpty)
        var producing = config
        try producing.set("transactional.id", "ktape-\(topic)")
        let producer = try KafkaProducer(config: producing, onDelivery: { _ in })
        try producer.initTransactions()
        try producer.beginTransaction()
        for i in 0..<3 {
            try producer.produce(
                KafkaProducerRecord(topic: topic, partition: 0, key: nil, value: Array("v\(i)".utf8), headers: [], timestamp: nil),
                id: UInt64(i))
            try producer.flush(timeoutMilliseconds: 30_000)
        }
        let document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar(config.bootstrapServers), "store": .scalar("/unused"), "topics": .list([topic])
        ]
        let settings = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        let warnings = Lines()
        var request = BackupRequest(
            job: "tansu-open", settings: settings, consumerGroups: nil, kafka: config, store: MemoryStore(), layout: StoreLayout())
        request.warn = { warnings.append($0) }
        #expect(try await BackupEngine.run(request).records == 0)
        let named = warnings.all.filter { $0.contains("open transaction") }
        #expect(named.count == 1, "\(warnings.all)")
        #expect(
            named.first?.hasPrefix(
                "topic \(topic) partition 0: no committed records to back up, but 3 offsets past 0 wait on an open transaction")
                == true, "\(named)")

        try producer.commitTransaction()
        #expect(try await BackupEngine.run(request).records == 3)
        #expect(warnings.all.filter { $0.contains("open transaction") }.count == 1, "\(warnings.all)")
    }

    /// A consumer group deleted in the source: the next run, though it reads no new record, names its
    /// saved offsets removed, and a restore commits none for it. Before, the group came back with the
    /// offsets of the run before. tansu lists no groups, so the deletion is learnt by asking the group.
    @Test func deletedGroupIsNotRestored() async throws {
        let config = KafkaConfig(bootstrapServers: try #require(restoreTansuBootstrap))
        let admin = try KafkaAdmin(config: config)
        let suffix = UUID().uuidString.prefix(8)
        let (source, gone, kept) = ("tansu-gone-\(suffix)", "gone-\(suffix)", "kept-\(suffix)")
        #expect(try admin.createTopics([KafkaNewTopic(name: source, partitions: 1, replicationFactor: 1)]).isEmpty)
        let producer = try KafkaProducer(config: config, onDelivery: { _ in })
        for i in 0..<3 {
            try producer.produce(
                KafkaProducerRecord(topic: source, partition: 0, key: nil, value: Array("v\(i)".utf8), headers: [], timestamp: nil),
                id: UInt64(i))
            try producer.flush(timeoutMilliseconds: 30_000)
        }
        let p0 = TopicPartition(topic: source, partition: 0)
        try admin.commitOffsets(group: gone, offsets: [p0: 1])
        try admin.commitOffsets(group: kept, offsets: [p0: 2])

        let store = MemoryStore()
        let document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar(config.bootstrapServers), "store": .scalar("/unused"), "topics": .list([source])
        ]
        let settings = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        let request = BackupRequest(
            job: "tansu-groups", settings: settings, consumerGroups: .names([gone, kept]), kafka: config, store: store,
            layout: StoreLayout())
        #expect(try await BackupEngine.run(request).groupOffsets == 2)
        try PythonKafkaAdmin.deleteGroup(gone, bootstrapServers: config.bootstrapServers)
        let quiet = try await BackupEngine.run(request)
        #expect(quiet.savedChangesOnly && quiet.removedGroupOffsets == 1 && quiet.groupOffsets == 0)
        let key = try #require(quiet.manifestKey)
        let manifest = try RunManifest.decode(Data(try await store.get(key)), name: key, layout: StoreLayout())
        #expect(manifest.removedGroupOffsets == [ManifestGroupPartition(group: gone, topic: source, partition: 0)])
        // Said once: the next run finds the removal the newest entry, and writes nothing.
        #expect(try await BackupEngine.run(request).manifestKey == nil)

        var options = try options()
        options.createTopics = true
        options.replicationFactor = 1
        options.rename = try RegexRouter(regex: "tansu-gone-(.*)", replacement: "tansu-gone-dst-$1")
        options.consumerGroups = .names([gone, kept])
        let result = try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        #expect(result.summary.producedRecords == 3)
        #expect(result.summary.committedGroups == [kept: 1])
        let target = TopicPartition(topic: options.rename!.route(source), partition: 0)
        #expect(try admin.committedOffsets(group: gone, partitions: [target])[target] == .some(nil))
        #expect(try admin.committedOffsets(group: kept, partitions: [target])[target] == .some(2))
    }

    /// tansu lists no groups (ListGroups answers empty), so the refusal comes from the broker at commit
    /// time: the offsets are never committed, and the error names the group.
    @Test func activeGroupIsNeverCommitted() async throws {
        let fixture = StoreFixture()
        let topic = "tansu-groups-\(UUID().uuidString.prefix(8))"
        let group = "active-\(UUID().uuidString.prefix(8))"
        try await fixture.writeRun(
            [topic: [0: awkwardRecords(count: 3, partition: 0)]], partitionCounts: [topic: 1],
            groupOffsets: [ManifestGroupOffset(group: group, topic: topic, partition: 0, offset: 1)])
        var options = try options()
        let admin = try KafkaAdmin(config: options.kafka)
        _ = try admin.createTopics([KafkaNewTopic(name: topic, partitions: 1, replicationFactor: 1)])
        let member = try KafkaPartitionReader(config: options.kafka, groupID: group)
        try member.subscribe(topics: [topic])
        // Polled until it holds the partition: it has joined and synced (a fixed 3 s could end first
        // on a loaded machine, and an empty group takes the commit).
        let until = Date().addingTimeInterval(120)
        while try member.assignment().isEmpty, Date() < until { _ = try member.poll(timeoutMilliseconds: 200) }
        try #require(try !member.assignment().isEmpty, "the member never joined the group")
        options.consumerGroups = .names([group])
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.message.hasPrefix("consumer group \(group): ") == true)
        #expect(error?.message.contains("active members") == true)
        let p0 = TopicPartition(topic: topic, partition: 0)
        #expect(try admin.committedOffsets(group: group, partitions: [p0])[p0] == .some(nil))
    }
}
