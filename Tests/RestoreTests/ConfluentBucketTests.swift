import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
import Restore
import Testing

/// Restores `fixtures/confluent-bucket`, laid out as Confluent's S3 sink writes it (no manifests).
@Suite struct ConfluentBucketTests {
    static let bucket = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/confluent-bucket").path

    func values(_ records: [ConsumedRecord]?) -> [String] {
        (records ?? []).map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    @Test func restoresJsonGzipAndCompanions() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("clicks", partitions: 2)
        try cluster.createTopic("users", partitions: 1)
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        // The fixture stays read-only: resume state goes to --state-dir.
        let store = try LocalDirectoryStore(root: Self.bucket)
        var options = mockOptions(cluster)
        options.stateDirectory = stateDir
        let engine = RestoreEngine(store: store, layout: StoreLayout(), options: options)
        let result = try await engine.run()

        #expect(!result.plan.fromManifests)
        #expect(result.summary.producedRecords == 10)
        let clicks = try readTarget(cluster.config, topic: "clicks", partitions: 2)
        #expect(
            values(clicks[0]) == [
                "{\"page\":\"/home\",\"ms\":12}", "{\"page\":\"/cart\",\"ms\":40}", "{\"page\":\"/pay\",\"ms\":7}",
                "{\"page\":\"/home\",\"ms\":3}", "{\"page\":\"/done\",\"ms\":1.5e-3}"
            ])
        #expect(values(clicks[1]) == ["\"a\"", "42", "{\"page\":\"/x\",\"tags\":[\"b\",\"c\"]}"])
        #expect(clicks[0]?.allSatisfy { $0.key == nil && $0.headers.isEmpty } == true)
        let users = try readTarget(cluster.config, topic: "users", partitions: 1)
        #expect(users[0]?.map(\.key) == [Array("user-1".utf8), Array("user-2".utf8)])
        #expect(users[0]?.first?.headers == [KafkaHeader(name: "source", value: Array("web".utf8)), KafkaHeader(name: "trace", value: nil)])
        #expect(users[0]?.last?.headers == [KafkaHeader(name: "source", value: Array("app".utf8))])
        #expect(FileManager.default.fileExists(atPath: Self.bucket + "/_ktape") == false)

        // Run again: everything is already there.
        let again = try await RestoreEngine(store: store, layout: StoreLayout(), options: options).run()
        #expect(again.summary.producedRecords == 0)
        #expect(again.summary.alreadyPresentRecords == 10)
    }

    /// Without manifests, a time filter cannot apply to JsonFormat values (they carry no timestamps).
    @Test func timeFilterOnConfluentJsonIsRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        var options = mockOptions(cluster)
        options.fromTime = 1
        let engine = RestoreEngine(store: try LocalDirectoryStore(root: Self.bucket), layout: StoreLayout(), options: options)
        let error = await #expect(throws: RunFailure.self) { try await engine.run().summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("confluent-json") == true)
    }
}
