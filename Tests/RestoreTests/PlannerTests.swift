import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
@testable import Restore
import Testing

/// The planner alone (no cluster, no store): selection, order, warnings and refusals.
@Suite struct PlannerTests {
    func catalog(_ topics: [String: TopicTimestampType]) throws -> SourceCatalog {
        let layout = StoreLayout()
        var partitions: [TopicPartition: [SourceObject]] = [:]
        for topic in topics.keys {
            let name = try ObjectKey(topic: topic, partition: 0, startOffset: 0, kind: ObjectFileKind(.envelope))
            partitions[TopicPartition(topic, 0)] = [
                SourceObject(key: layout.key(for: name), listed: ListedObjectKey(defaultLayout: name), manifest: nil, listedBytes: 10)
            ]
        }
        return SourceCatalog(
            partitions: partitions,
            topics: Dictionary(
                uniqueKeysWithValues: topics.map { ($0.key, ManifestTopic(name: $0.key, partitionCount: 1, timestampType: $0.value)) }),
            groupOffsets: [], runs: [RunID(rawValue: "r1")], problems: [], warnings: [])
    }

    @Test func schemasTopicGoesFirstAndLogAppendTimeWarns() throws {
        let plan = try RestorePlanner.plan(
            try catalog(["a": .createTime, "_schemas": .createTime, "logs": .logAppendTime]),
            options: RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1")))
        #expect(plan.topics.map(\.sourceTopic) == ["_schemas", "a", "logs"])
        #expect(plan.warnings == ["topic logs used LogAppendTime; its records keep their original timestamps as CreateTime"])
    }

    @Test func regexListNamingMissingTopicsWarnsOrRefuses() throws {
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        options.topicRegexList = try TopicRegexList(parsing: "a:.*,ghost:.*")
        let plan = try RestorePlanner.plan(try catalog(["a": .createTime]), options: options)
        #expect(plan.topics.map(\.sourceTopic) == ["a"])
        #expect(plan.warnings == ["topic ghost named in topic-regex-list has no objects in the store"])

        options.topicRegexList = try TopicRegexList(parsing: "ghost:.*")
        let error = #expect(throws: RunFailure.self) { try RestorePlanner.plan(try catalog(["a": .createTime]), options: options) }
        #expect(error?.isInvalidInput == true)
        #expect(error?.message.contains("holds none of them") == true)
    }

    /// A regex that matches no file of one topic leaves that topic out with a warning; matching none
    /// of any topic is a mistake in the regex, refused rather than "restored 0 records".
    @Test func regexMatchingNoFileWarnsOrRefuses() throws {
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        options.topicRegexList = try TopicRegexList(parsing: "a:.*,b:b\\+7\\+.*")
        let plan = try RestorePlanner.plan(try catalog(["a": .createTime, "b": .createTime]), options: options)
        #expect(plan.topics.map(\.sourceTopic) == ["a"])
        #expect(plan.warnings == ["topic b: no file matches its topic-regex-list regex"])

        options.topicRegexList = try TopicRegexList(parsing: "a:a\\+7\\+.*,b:b\\+7\\+.*")
        let error = #expect(throws: RunFailure.self) {
            try RestorePlanner.plan(try catalog(["a": .createTime, "b": .createTime]), options: options)
        }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message
                == "nothing to restore: topic a: no file matches its topic-regex-list regex (files are named <topic>+<partition>+<offset>.<ext>); topic b: no file matches its topic-regex-list regex (files are named <topic>+<partition>+<offset>.<ext>)"
        )
    }

    /// A time range reaching records a prune removed says so: before, a partial restore said nothing
    /// of them, and a range wholly pruned said only "no record in the time range".
    @Test func aTimeRangeReachingPrunedRecordsWarns() throws {
        var pruned = try catalog(["a": .createTime, "b": .createTime])
        pruned.prunedThrough[TopicPartition("a", 0)] = 9
        pruned.prunedTimes[TopicPartition("a", 0)] = 1_000...2_000
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        let warning =
            "topic a: the store's prunes removed records of the time range (up to 1970-01-01T00:00:02.000Z); only those still kept are restored (ktape ls shows what and when)"
        for (from, to, warned) in [(1_500, nil, true), (2_001, nil, false), (nil, 1_000, false), (nil, 1_001, true), (0, 999_999, true)]
            as [(Int64?, Int64?, Bool)]
        {
            options.fromTime = from
            options.toTime = to
            #expect(try RestorePlanner.plan(pruned, options: options).warnings == (warned ? [warning] : []), "\(from ?? -1)..<\(to ?? -1)")
        }
        options.fromTime = nil
        options.toTime = nil
        #expect(try RestorePlanner.plan(pruned, options: options).warnings == [])
    }

    /// As of an early run, prune may have taken every object of a topic: refused, not restored as 0.
    @Test func asOfARunWhoseObjectsWereAllPrunedIsNamed() throws {
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        options.asOf = RunID(rawValue: "r1")
        var pruned = try catalog(["a": .createTime, "b": .createTime])
        // The catalog drops the partitions prune emptied; only their pruned offsets remain.
        pruned.partitions[TopicPartition("a", 0)] = nil
        pruned.prunedThrough[TopicPartition("a", 0)] = 9
        let plan = try RestorePlanner.plan(pruned, options: options)
        #expect(plan.topics.map(\.sourceTopic) == ["b"])
        #expect(plan.warnings == ["topic a: every object as of run r1 was pruned (ktape ls shows what and when)"])

        // All of them: the restore's line unless its resume states say it had restored them whole (RestoreEngine).
        pruned.partitions[TopicPartition("b", 0)] = nil
        pruned.prunedThrough[TopicPartition("b", 0)] = 3
        let emptied = try RestorePlanner.plan(pruned, options: options)
        #expect(emptied.topics.isEmpty && emptied.prunedAway.count == 2)
        #expect(emptied.nothingLeft?.hasPrefix("nothing to restore: topic a: every object as of run r1 was pruned") == true)

        // Runs that name no object at all (every offset lost to retention before it was read).
        var bare = pruned
        bare.prunedThrough = [:]
        let none = #expect(throws: RunFailure.self) { try RestorePlanner.plan(bare, options: options) }
        #expect(none?.message == "nothing to restore: the store's runs as of run r1 name no object (ktape ls shows what it holds)")

        // Named in a topic-regex-list, a pruned topic is said to be pruned, not absent from the store.
        options.topicRegexList = try TopicRegexList(parsing: "a:.*")
        let named = try RestorePlanner.plan(pruned, options: options)
        #expect(named.nothingLeft?.hasPrefix("nothing to restore: topic a: every object as of run r1 was pruned") == true)
    }

    /// A topic the runs saw with no record at all (a dead-letter topic, say) belongs in a faithful
    /// copy: it is planned with nothing to produce. Named alone in a topic-regex-list, it is refused.
    @Test func aTopicTheRunsSawWithNoRecordIsPlannedEmpty() throws {
        var store = try catalog(["a": .createTime])
        store.topics["quiet"] = ManifestTopic(name: "quiet", partitionCount: 3)
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        let plan = try RestorePlanner.plan(store, options: options)
        #expect(plan.topics.map(\.sourceTopic) == ["a", "quiet"])
        #expect(plan.topics.map(\.isEmptyInStore) == [false, true])
        #expect(plan.topics.last?.sourcePartitions == 3)
        #expect(plan.topics.last?.partitions.isEmpty == true)
        #expect(plan.warnings.isEmpty)

        options.topicRegexList = try TopicRegexList(parsing: "a:.*,quiet:.*")
        #expect(try RestorePlanner.plan(store, options: options).topics.map(\.sourceTopic) == ["a", "quiet"])
        options.topicRegexList = try TopicRegexList(parsing: "quiet:.*")
        let error = #expect(throws: RunFailure.self) { try RestorePlanner.plan(store, options: options) }
        #expect(error?.message == "nothing to restore: topic quiet: the store holds no record of it")
    }

    /// A store holding a partition past the newest run's count (the topic was made again with fewer,
    /// by a ktape that did not stop the backup): the target must hold every partition the store does.
    /// Before, --create-topics made it with the newest count and the restore failed half-way.
    @Test func aTopicIsSizedByThePartitionsTheStoreHolds() throws {
        var store = try catalog(["a": .createTime])
        let name = try ObjectKey(topic: "a", partition: 2, startOffset: 0, kind: ObjectFileKind(.envelope))
        store.partitions[TopicPartition("a", 2)] = [
            SourceObject(key: StoreLayout().key(for: name), listed: ListedObjectKey(defaultLayout: name), manifest: nil, listedBytes: 10)
        ]
        let plan = try RestorePlanner.plan(store, options: RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1")))
        #expect(plan.topics.map(\.sourcePartitions) == [3])
    }

    @Test func renameToAnIllegalTopicNameIsAProblem() throws {
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        options.rename = try RegexRouter(regex: "a", replacement: "bad name")
        let plan = try RestorePlanner.plan(try catalog(["a": .createTime]), options: options)
        #expect(plan.topics.isEmpty)
        #expect(plan.problems.count == 1)
        #expect(plan.problems.first?.hasPrefix("target topic 'bad name' (renamed from a): ") == true)
    }

    /// Every topic that cannot be restored is named, not just the first.
    @Test func everyTopicsProblemIsListed() throws {
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
        options.rename = try RegexRouter(regex: "[ab]", replacement: "same")
        let plan = try RestorePlanner.plan(try catalog(["a": .createTime, "b": .createTime, "c": .createTime]), options: options)
        #expect(plan.topics.map(\.sourceTopic) == ["a", "c"])
        #expect(plan.problems == ["source topics a and b would both restore into same; change --rename-regex"])
        let joined = RunFailure.problems(plan.problems + ["second"])
        #expect(joined.isInvalidInput)
        #expect(joined.message == "2 problems: source topics a and b would both restore into same; change --rename-regex; second")
    }

    @Test func clusterNameIgnoresHostOrder() {
        #expect(RestoreOptions.clusterName("b:9092, a:9092") == RestoreOptions.clusterName("a:9092,b:9092"))
        #expect(!RestoreOptions.clusterName("a:9092").contains(":"))
    }
}

/// A store with nothing to restore is a mistake in --store or --topics-dir, not an empty success.
@Suite struct EmptyStoreTests {
    @Test func emptyStoreIsInvalidInput() async throws {
        let store = MemoryStore(name: "memory://empty")
        try await store.put("elsewhere/x.json", body: [])
        let engine = RestoreEngine(
            store: store, layout: StoreLayout(), options: RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1")))
        let error = await #expect(throws: RunFailure.self) { try await engine.run().summary.line }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message
                == "memory://empty holds neither manifests (_ktape/runs/) nor data objects (topics/); check --store and --topics-dir")
    }
}
