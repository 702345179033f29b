import Foundation
import Kafka
import Layout
import Restore
import Testing
import RecordFormats

/// Confluent's S3 Source connector documentation scenario: `source-topic-1,source-topic-2`, 9
/// partitions each, `topic.regex.list=source-topic-1:.*,source-topic-2:.*` and a RegexRouter
/// `source-topic-(\d)` → `sink-topic-$1`.
@Suite struct ConfluentScenarioTests {
    @Test func twoTopicsNinePartitionsRenamed() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        let fixture = StoreFixture()
        var source: [String: [Int32: [RecordFormats.KafkaRecord]]] = [:]
        for topic in ["source-topic-1", "source-topic-2"] {
            for p: Int32 in 0..<9 {
                source[topic, default: [:]][p] = awkwardRecords(count: 2 + Int(p), partition: p, salt: topic)
            }
        }
        try await fixture.writeRun(source, partitionCounts: ["source-topic-1": 9, "source-topic-2": 9], perObject: 4)
        // An unrelated topic in the same store must stay out of the restore.
        try await fixture.writeRun(["other": [0: awkwardRecords(count: 3, partition: 0)]], partitionCounts: ["other": 1])
        try cluster.createTopic("sink-topic-1", partitions: 9)
        try cluster.createTopic("sink-topic-2", partitions: 9)

        var options = mockOptions(cluster)
        options.topicRegexList = try TopicRegexList(parsing: "source-topic-1:.*,source-topic-2:.*")
        options.rename = try RegexRouter(regex: "source-topic-(\\d)", replacement: "sink-topic-$1")
        let result = try await restore(fixture, options)

        #expect(result.plan.topics.map(\.targetTopic) == ["sink-topic-1", "sink-topic-2"])
        let perTopic: Int64 = (0..<9).map { 2 + Int64($0) }.reduce(0, +)
        #expect(result.summary.producedRecords == 2 * perTopic)
        for (n, topic) in ["source-topic-1", "source-topic-2"].enumerated() {
            let got = try readTarget(cluster.config, topic: "sink-topic-\(n + 1)", partitions: 9)
            for p: Int32 in 0..<9 {
                #expect(differences(expected: source[topic]?[p] ?? [], got: got[p] ?? []) == [], "\(topic)/\(p)")
            }
        }
    }

    /// The file regex selects objects by name: only partition 0's files of source-topic-1.
    @Test func fileRegexSelectsObjects() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let p0 = awkwardRecords(count: 4, partition: 0)
        try await fixture.writeRun(
            ["source-topic-1": [0: p0, 1: awkwardRecords(count: 4, partition: 1)]],
            partitionCounts: ["source-topic-1": 2])
        try cluster.createTopic("source-topic-1", partitions: 2)
        var options = mockOptions(cluster)
        options.topicRegexList = try TopicRegexList(parsing: "source-topic-1:source-topic-1\\+0\\+.*")
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 4)
        let got = try readTarget(cluster.config, topic: "source-topic-1", partitions: 2)
        #expect(differences(expected: p0, got: got[0] ?? []) == [])
        #expect(got[1] == nil)
    }
}
