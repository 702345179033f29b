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
import RecordFormats

/// A full backup with the backup engine, then a restore with a rename, compared record by record,
/// and saved group offsets carried across.
@Suite struct BackupRoundTripTests {
    func backup(
        _ cluster: KafkaMockCluster, store: any ObjectStore, topic: String, flags: [String: String] = [:],
        groups: ConsumerGroupSelection? = nil
    ) async throws {
        var document: [String: JobRawValue] = [
            "bootstrap-servers": .scalar(cluster.bootstrapServers), "store": .scalar("/unused"), "topics": .list([topic])
        ]
        for (key, value) in flags { document[key] = .scalar(value) }
        let settings = try #require(try JobSpec(document: .flags(document), command: .backup).backup)
        var request = BackupRequest(
            job: "round-trip", settings: settings, consumerGroups: groups, kafka: cluster.config,
            store: store, layout: StoreLayout())
        request.connectTimeout = 2
        // Named groups' offsets, which the mock answers, took more than 0.3 s under a loaded sanitizer pass.
        request.clusterFactsTimeout = groups == nil ? 0.3 : 10
        _ = try await BackupEngine.run(request)
    }

    func produce(_ cluster: KafkaMockCluster, topic: String, _ records: [Int32: [RecordFormats.KafkaRecord]]) throws {
        let producer = try KafkaProducer(config: cluster.config, onDelivery: { _ in })
        var id: UInt64 = 0
        for (partition, list) in records.sorted(by: { $0.key < $1.key }) {
            for record in list {
                let headers = record.headers.map { KafkaHeader(name: String(decoding: $0.name, as: UTF8.self), value: $0.value) }
                try producer.produce(
                    KafkaProducerRecord(
                        topic: topic, partition: partition, key: record.key, value: record.value,
                        headers: headers, timestamp: record.timestamp), id: id)
                id += 1
            }
        }
        try producer.flush(timeoutMilliseconds: 30_000)
    }

    @Test(arguments: [["flush-size": "4"], ["flush-size": "5", "compression": "gzip"]])
    func envelopeBackupRestoresByteExactWithGroupOffsets(flags: [String: String]) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("live", partitions: 3)
        try cluster.createTopic("copy", partitions: 3)
        let records: [Int32: [RecordFormats.KafkaRecord]] = [
            0: awkwardRecords(count: 13, partition: 0), 1: awkwardRecords(count: 6, partition: 1),
            2: awkwardRecords(count: 9, partition: 2)
        ]
        try produce(cluster, topic: "live", records)
        let admin = try KafkaAdmin(config: cluster.config)
        let live1 = TopicPartition(topic: "live", partition: 1)
        try admin.commitOffsets(group: "app", offsets: [live1: 4])

        let store = MemoryStore()
        try await backup(cluster, store: store, topic: "live", flags: flags, groups: .names(["app"]))
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "live", replacement: "copy")
        options.consumerGroups = .names(["app"])
        let result = try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        #expect(result.plan.fromManifests)
        #expect(result.summary.producedRecords == 28)

        let got = try readTarget(cluster.config, topic: "copy", partitions: 3)
        for p: Int32 in 0..<3 {
            #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == [], "partition \(p)")
        }
        let copy1 = TopicPartition(topic: "copy", partition: 1)
        #expect(try admin.committedOffsets(group: "app", partitions: [copy1])[copy1] == .some(4))
    }

    /// confluent-json with keys and headers companions: values compact JSON, keys and headers back.
    @Test func confluentJSONBackupWithCompanionsRestores() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("json-live", partitions: 1)
        try cluster.createTopic("json-copy", partitions: 1)
        let records = (0..<7).map { n in
            RecordFormats.KafkaRecord(
                offset: Int64(n), timestamp: 1_700_000_000_000 + Int64(n), timestampType: .createTime,
                key: Array("key-\(n)".utf8), value: Array("{\"n\": \(n), \"s\": \"v\(n)\"}".utf8),
                headers: [RecordHeader(name: Array("h".utf8), value: Array("x\(n)".utf8))])
        }
        try produce(cluster, topic: "json-live", [0: records])
        let store = MemoryStore()
        try await backup(
            cluster, store: store, topic: "json-live",
            flags: ["format": "confluent-json", "store-keys": "true", "store-headers": "true", "flush-size": "3"])
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "json-live", replacement: "json-copy")
        let result = try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        #expect(result.summary.producedRecords == 7)
        let got = try readTarget(cluster.config, topic: "json-copy", partitions: 1)[0] ?? []
        #expect(got.map(\.value) == (0..<7).map { Array("{\"n\":\($0),\"s\":\"v\($0)\"}".utf8) })
        #expect(got.map(\.key) == records.map(\.key))
        #expect(got.map(\.headers) == records.map { [KafkaHeader(name: "h", value: $0.headers[0].value)] })
    }
    /// A `.keys.json` companion changed after the backup (one key's digit, the line still decodes),
    /// or its recorded checksum respelled in the manifest (the same 8 bytes, a spare bit set): the
    /// restore stops at that companion, producing none of its object's records.
    @Test(arguments: [false, true])
    func restoreRefusesACompanionChangedAfterTheBackup(respellManifest: Bool) async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("json-live", partitions: 1)
        try cluster.createTopic("json-copy", partitions: 1)
        let records = (0..<6).map { n in
            RecordFormats.KafkaRecord(
                offset: Int64(n), timestamp: 1_700_000_000_000 + Int64(n), timestampType: .createTime,
                key: Array("key-\(n)".utf8), value: Array("{\"n\": \(n)}".utf8))
        }
        try produce(cluster, topic: "json-live", [0: records])
        let store = MemoryStore()
        try await backup(
            cluster, store: store, topic: "json-live", flags: ["format": "confluent-json", "store-keys": "true", "flush-size": "3"])
        let companion = "topics/json-live/partition=0/json-live+0+0000000003.keys.json"
        if respellManifest {
            let layout = StoreLayout()
            let manifestKey = try #require(try await store.list(prefix: "_ktape/runs/").objects.first?.key)
            var manifest = try RunManifest.decode(try await store.get(manifestKey), name: manifestKey, layout: layout)
            let index = try #require(manifest.objects.firstIndex { $0.companionKeys.contains(companion) })
            var bytes = Array(try #require(manifest.objects[index].companionChecksums?.first?.crc64nvme).utf8)
            bytes[10] += 1
            manifest.objects[index].companionChecksums?[0].crc64nvme = String(decoding: bytes, as: UTF8.self)
            _ = try await store.put(manifestKey, body: Array(try manifest.encoded(layout: layout)), options: PutOptions())
        } else {
            let stored = try await store.get(companion)
            let changed = Array(String(decoding: stored, as: UTF8.self).replacingOccurrences(of: "key-4", with: "key-7").utf8)
            #expect(changed != stored && changed.count == stored.count)
            _ = try await store.put(companion, body: changed, options: PutOptions())
        }

        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "json-live", replacement: "json-copy")
        let error = await #expect(throws: RunFailure.self) {
            try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        }
        let refusal = respellManifest ? ": its manifest records a checksum that is not one ktape writes" : " has CRC64NVME "
        #expect(error?.message.hasPrefix("object \(companion)\(refusal)") == true, "\(error?.message ?? "")")
        // The first object (offsets 0-2) went; nothing of the one whose companion changed.
        let got = try readTarget(cluster.config, topic: "json-copy", partitions: 1)[0] ?? []
        #expect(got.map(\.key) == records.prefix(3).map(\.key))
    }

    /// What a backup records lets `ktape restore` refuse an object changed after it: a digit inside a
    /// value changed (the line still parses) stops the run with one line and status 1 before any
    /// record of that object is produced, and `ktape verify` names the same object.
    @Test func restoreRefusesAnObjectChangedAfterTheBackup() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("live", partitions: 1)
        try cluster.createTopic("copy", partitions: 1)
        try produce(cluster, topic: "live", [0: awkwardRecords(count: 8, partition: 0)])
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await backup(cluster, store: try LocalDirectoryStore(root: directory.path), topic: "live")
        let key = "topics/live/partition=0/live+0+0000000000.ktape.json"
        let file = directory.appendingPathComponent(key)
        let stored = try String(contentsOf: file, encoding: .utf8)
        let value = #"\"i\":0}"#
        #expect(stored.contains(value))
        try stored.replacingOccurrences(of: value, with: #"\"i\":9}"#).write(to: file, atomically: true, encoding: .utf8)

        let restore = try KtapeProcess.run(
            ["restore", "-b", cluster.bootstrapServers, "--store", directory.path, "--rename-regex", "live", "--rename-replacement", "copy"]
        )
        #expect(restore.status == 1)
        let errors = restore.stderr.split(separator: "\n").filter { $0.hasPrefix("ktape: error:") }
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("ktape: error: object \(key) has CRC64NVME ") == true, "\(restore.stderr)")
        #expect(errors.first?.contains("none of its records was read") == true)
        #expect(try readTarget(cluster.config, topic: "copy", partitions: 1)[0]?.count ?? 0 == 0)

        let verify = try KtapeProcess.run(["verify", "--store", directory.path])
        #expect(verify.status == 3)
        #expect((verify.stdout + verify.stderr).contains(key))
    }
}
