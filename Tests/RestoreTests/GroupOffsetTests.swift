import Foundation
import Failures
import Kafka
import Layout
import Restore
import Testing
import RecordFormats

/// Saved group offsets are translated exactly: source offset o → the target offset of the first
/// restored record with source offset ≥ o.
@Suite struct GroupOffsetTests {
    @Test func offsetsTranslateThroughGapsFiltersAndExistingRecords() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        // Source offsets 0, 2, …, 18 (a compacted topic leaves such gaps).
        let records = awkwardRecords(count: 10, partition: 0).enumerated().map { n, record -> RecordFormats.KafkaRecord in
            var r = record
            r.offset = Int64(n) * 2
            return r
        }
        let saved = [("g-gap", 7), ("g-start", 0), ("g-end", 20), ("g-mid", 12), ("other", 4)].map {
            ManifestGroupOffset(group: $0.0, topic: "src", partition: 0, offset: Int64($0.1))
        }
        try await fixture.writeRun(["src": [0: records]], partitionCounts: ["src": 1], perObject: 4, groupOffsets: saved)
        try cluster.createTopic("dst", partitions: 1)
        // Five records already in the target: the restore starts at target offset 5.
        try produceStrays(cluster, topic: "dst", partition: 0, values: (0..<5).map { [UInt8($0)] })

        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "src", replacement: "dst")
        options.fromTime = records[3].timestamp  // restores source offsets 6…18
        options.consumerGroups = .regex(try WholeNameRegex("g-.*"))
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 7)
        #expect(result.summary.committedGroups == ["g-gap": 1, "g-start": 1, "g-end": 1, "g-mid": 1])

        let admin = try KafkaAdmin(config: cluster.config)
        let p0 = TopicPartition(topic: "dst", partition: 0)
        let expected: [String: Int64] = ["g-gap": 6, "g-start": 5, "g-end": 12, "g-mid": 8]
        for (group, offset) in expected {
            #expect(try admin.committedOffsets(group: group, partitions: [p0])[p0] == .some(offset), "\(group)")
        }
        #expect(try admin.committedOffsets(group: "other", partitions: [p0])[p0] == .some(nil))

        // The record at g-gap's offset is the first restored one at or after source offset 7: offset 8.
        let target = try readTarget(cluster.config, topic: "dst", partitions: 1)[0] ?? []
        #expect(target.first { $0.offset == 6 }?.value == records[4].value)
    }

    /// A run that found a group's offsets gone names them: a restore of it or a later run commits
    /// none for them (before, a deleted group came back with the offsets of an older run), one as of
    /// an earlier run still does, and a value saved after the removal counts again.
    @Test func removedOffsetsAreNotCommittedFromOlderRuns() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let records = awkwardRecords(count: 6, partition: 0)
        let saved = [("gone", 3), ("kept", 2), ("back", 4)].map {
            ManifestGroupOffset(group: $0.0, topic: "src", partition: 0, offset: Int64($0.1))
        }
        let first = try await fixture.writeRun(["src": [0: Array(records[..<3])]], partitionCounts: ["src": 1], groupOffsets: saved)
        let gone = [
            ManifestGroupPartition(group: "gone", topic: "src", partition: 0),
            ManifestGroupPartition(group: "back", topic: "src", partition: 0)
        ]
        try await fixture.writeRun(["src": [0: Array(records[3..<5])]], partitionCounts: ["src": 1], removedGroupOffsets: gone)
        try await fixture.writeRun(
            ["src": [0: Array(records[5...])]], partitionCounts: ["src": 1],
            groupOffsets: [ManifestGroupOffset(group: "back", topic: "src", partition: 0, offset: 5)])
        try cluster.createTopic("old", partitions: 1)
        try cluster.createTopic("dst", partitions: 1)
        let admin = try KafkaAdmin(config: cluster.config)
        let p0 = TopicPartition(topic: "dst", partition: 0)

        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "src", replacement: "old")
        options.consumerGroups = .regex(try WholeNameRegex(".*"))
        options.asOf = first.runId
        #expect(try await restore(fixture, options).summary.committedGroups == ["back": 1, "gone": 1, "kept": 1])
        options.asOf = nil
        options.rename = try RegexRouter(regex: "src", replacement: "dst")
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 6)
        #expect(result.summary.committedGroups == ["back": 1, "kept": 1])
        #expect(try admin.committedOffsets(group: "gone", partitions: [p0])[p0] == .some(nil))
        #expect(try admin.committedOffsets(group: "kept", partitions: [p0])[p0] == .some(2))
        #expect(try admin.committedOffsets(group: "back", partitions: [p0])[p0] == .some(5))
    }

    /// A partition with nothing to restore (empty in the source) still gets its group's offset: where
    /// its first restored record would have gone, the target partition's end. Without it the group's
    /// consumers fall back to auto.offset.reset there and, at `latest`, skip what arrives meanwhile.
    @Test func aPartitionWithNothingToRestoreGetsTheTargetsEnd() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let saved = [
            ManifestGroupOffset(group: "g", topic: "src", partition: 0, offset: 3),
            ManifestGroupOffset(group: "g", topic: "src", partition: 1, offset: 0)
        ]
        try await fixture.writeRun(
            ["src": [0: awkwardRecords(count: 5, partition: 0)]], partitionCounts: ["src": 2], perObject: 5, groupOffsets: saved)
        try cluster.createTopic("dst", partitions: 2)
        // Two records already in the target's partition 1, which the restore does not write.
        try produceStrays(cluster, topic: "dst", partition: 1, values: (0..<2).map { [UInt8($0)] })

        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "src", replacement: "dst")
        options.consumerGroups = .regex(try WholeNameRegex("g"))
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 5)
        #expect(result.summary.committedGroups == ["g": 2])
        let admin = try KafkaAdmin(config: cluster.config)
        let (p0, p1) = (TopicPartition(topic: "dst", partition: 0), TopicPartition(topic: "dst", partition: 1))
        let committed = try admin.committedOffsets(group: "g", partitions: [p0, p1])
        #expect(committed[p0] == .some(3))
        #expect(committed[p1] == .some(2))

        // Files chosen with --topic-regex-list: a partition left out keeps the offset it has.
        try cluster.createTopic("dst2", partitions: 2)
        let (q0, q1) = (TopicPartition(topic: "dst2", partition: 0), TopicPartition(topic: "dst2", partition: 1))
        try admin.commitOffsets(group: "g", offsets: [q1: 1])
        options.rename = try RegexRouter(regex: "src", replacement: "dst2")
        options.topicRegexList = try TopicRegexList(parsing: "src:src\\+0\\+.*")
        #expect(try await restore(fixture, options).summary.committedGroups == ["g": 1])
        let kept = try admin.committedOffsets(group: "g", partitions: [q0, q1])
        #expect(kept[q0] == .some(3))
        #expect(kept[q1] == .some(1))
    }

    /// A topic the backup saw with no record at all is restored as one: its target is checked like
    /// any other's, and its groups' offsets go to the target's end, with a topic-regex-list naming it
    /// too (which has no file of it to leave out). Before, it was left out, and so were its offsets.
    @Test func aTopicWithNoRecordIsCheckedAndItsGroupsGetTheTargetsEnd() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        let saved = [
            ManifestGroupOffset(group: "g", topic: "src", partition: 0, offset: 3),
            ManifestGroupOffset(group: "g", topic: "quiet", partition: 0, offset: 4),
            ManifestGroupOffset(group: "g", topic: "quiet", partition: 1, offset: 0)
        ]
        try await fixture.writeRun(
            ["src": [0: awkwardRecords(count: 5, partition: 0)]], partitionCounts: ["src": 1, "quiet": 2], perObject: 5,
            groupOffsets: saved)
        try cluster.createTopic("src", partitions: 1)
        var options = mockOptions(cluster)
        options.consumerGroups = .regex(try WholeNameRegex("g"))
        let missing = await #expect(throws: RunFailure.self) { try await restore(fixture, options) }
        #expect(missing?.message.contains("target topic quiet does not exist (source quiet has 2 partitions)") == true)

        try cluster.createTopic("quiet", partitions: 2)
        try produceStrays(cluster, topic: "quiet", partition: 1, values: [[1], [2]])
        options.topicRegexList = try TopicRegexList(parsing: "src:.*,quiet:.*")
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 5)
        #expect(result.summary.topics.map(\.source) == ["quiet", "src"])
        #expect(result.summary.committedGroups == ["g": 3])
        let admin = try KafkaAdmin(config: cluster.config)
        let partitions = [("src", 0), ("quiet", 0), ("quiet", 1)].map { TopicPartition(topic: $0.0, partition: Int32($0.1)) }
        let committed = try admin.committedOffsets(group: "g", partitions: partitions)
        #expect(partitions.map { committed[$0] } == [.some(3), .some(0), .some(2)])
    }

    /// confluent-json lines carry no offsets. In an object whose offsets have gaps, a group offset
    /// inside it translates to the fewest records certainly before it, never more: consumers may
    /// read some again but never miss one.
    @Test func offsetsInsideAGappedConfluentObjectNeverSkipRecords() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let fixture = StoreFixture()
        // Five records at offsets 10, 11, 12, 18, 19 in one object: its manifest says 10…19, 5 records.
        let offsets: [Int64] = [10, 11, 12, 18, 19]
        let records = offsets.map { offset in
            RecordFormats.KafkaRecord(
                offset: offset, timestamp: -1, timestampType: .notAvailable, key: nil,
                value: Array("{\"o\":\(offset)}".utf8))
        }
        // Records certainly before each group offset: 11 → 1 (offset 10), 15 → 1 (the other four fit in
        // 15…19), 19 → 4 (only the last must be at 19), 20 → all 5, 10 → none.
        let saved = [("g-first", 11), ("g-mid", 15), ("g-late", 19), ("g-after", 20), ("g-start", 10)].map {
            ManifestGroupOffset(group: $0.0, topic: "src", partition: 0, offset: Int64($0.1))
        }
        try await fixture.writeRun(
            ["src": [0: records]], partitionCounts: ["src": 1], perObject: 5,
            format: .confluentJSON, groupOffsets: saved)
        try cluster.createTopic("dst", partitions: 1)
        var options = mockOptions(cluster)
        options.rename = try RegexRouter(regex: "src", replacement: "dst")
        options.consumerGroups = .regex(try WholeNameRegex("g-.*"))
        let result = try await restore(fixture, options)
        #expect(result.summary.producedRecords == 5)

        let admin = try KafkaAdmin(config: cluster.config)
        let p0 = TopicPartition(topic: "dst", partition: 0)
        // Exact answers would be 1, 3, 4, 5, 0; each translation is at most that.
        let expected: [String: Int64] = ["g-first": 1, "g-mid": 1, "g-late": 4, "g-after": 5, "g-start": 0]
        for (group, offset) in expected {
            #expect(try admin.committedOffsets(group: group, partitions: [p0])[p0] == .some(offset), "\(group)")
        }
    }
}
