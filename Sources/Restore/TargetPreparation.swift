import Foundation
import Kafka
import Layout

/// The partition check before anything is produced, and `--create-topics`.
enum TargetPreparation {
    /// Fills each topic's `action` (and, with `--repartition`, `repartitionedInto`); a missing target
    /// (without `--create-topics`) or one with fewer partitions than its source is a problem naming
    /// the topic and both counts. Every topic is checked.
    static func check(_ plan: inout RestorePlan, admin: KafkaAdmin, options: RestoreOptions) throws {
        let metadata: KafkaClusterMetadata
        do {
            metadata = try admin.metadata()
        } catch {
            throw RestoreError.wrap(error, "target cluster \(options.kafka.bootstrapServers)")
        }
        let existing = Dictionary(metadata.topics.filter { $0.error == nil }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in plan.topics.indices {
            let topic = plan.topics[index]
            let needed = max(topic.sourcePartitions, (topic.partitions.map(\.partition).max() ?? -1) + 1)
            guard let target = existing[topic.targetTopic] else {
                guard options.createTopics else {
                    plan.problems.append("target topic \(topic.targetTopic) does not exist (source \(topic.sourceTopic) has \(needed) partitions); create it or pass --create-topics")
                    continue
                }
                plan.topics[index].action = .create
                continue
            }
            let count = Int32(target.partitionCount)
            plan.topics[index].action = .exists(partitions: count)
            if count != needed && options.repartition {
                plan.topics[index].repartitionedInto = count
            } else if count < needed {
                plan.problems.append("target topic \(topic.targetTopic) has \(count) partitions, source topic \(topic.sourceTopic) has \(needed); partition p restores into partition p, so the target needs at least \(needed) (or pass --repartition)")
            } else if count > needed {
                plan.warnings.append("target topic \(topic.targetTopic) has \(count) partitions, more than the source's \(needed): records keep their partitions, but new records with the same keys may hash elsewhere (--repartition sends them where their keys hash)")
            }
        }
    }

    /// Best-effort look at existing targets' configs: a LogAppendTime target overwrites the restored
    /// timestamps. A broker without DescribeConfigs is asked once, not once per topic.
    static func configWarnings(_ plan: RestorePlan, admin: KafkaAdmin, timeoutMilliseconds: Int32) -> [String] {
        var warnings: [String] = []
        for topic in plan.topics where topic.action != .create {
            let entries: [KafkaConfigEntry]
            do {
                entries = try admin.describeTopicConfigs(topic.targetTopic, timeoutMilliseconds: timeoutMilliseconds)
            } catch {
                return warnings + ["cannot read target topic configs (\(error)); timestamp types and size limits are not checked"]
            }
            if entries.first(where: { $0.name == "message.timestamp.type" })?.value == "LogAppendTime" {
                warnings.append("target topic \(topic.targetTopic) uses LogAppendTime: the broker replaces the restored timestamps")
            }
        }
        return warnings
    }

    /// Creates the topics marked `.create` with the source's partition count and non-default configs;
    /// configs the target rejects are skipped with a warning. Returns the warnings.
    static func create(_ plan: RestorePlan, admin: KafkaAdmin, options: RestoreOptions) throws -> [String] {
        var warnings: [String] = []
        for topic in plan.topics where topic.action == .create {
            let configs = topic.manifestTopic?.configs ?? [:]
            let newTopic = KafkaNewTopic(name: topic.targetTopic, partitions: topic.sourcePartitions,
                                         replicationFactor: Int32(options.replicationFactor ?? -1), configs: configs)
            var failure = try createOne(newTopic, admin: admin, timeout: options.createTimeoutMilliseconds)
            if let rejected = failure, !configs.isEmpty {
                var bare = newTopic
                bare.configs = [:]
                failure = try createOne(bare, admin: admin, timeout: options.createTimeoutMilliseconds)
                if failure == nil {
                    warnings.append("target topic \(topic.targetTopic) refused configs \(configs.keys.sorted().joined(separator: ", ")) (\(rejected.detail)); created without them")
                }
            }
            if let failure {
                throw RestoreError.failure("cannot create target topic \(topic.targetTopic): \(failure)")
            }
            try waitForPartitions(topic.targetTopic, count: topic.sourcePartitions, admin: admin)
        }
        return warnings
    }

    private static func createOne(_ topic: KafkaNewTopic, admin: KafkaAdmin, timeout: Int32) throws -> KafkaError? {
        do {
            let failures = try admin.createTopics([topic], timeoutMilliseconds: timeout)
            guard let failure = failures[topic.name], failure.code != .topicAlreadyExists else { return nil }
            return failure
        } catch {
            throw RestoreError.failure("cannot create target topic \(topic.name): \(error)")
        }
    }

    private static func waitForPartitions(_ name: String, count: Int32, admin: KafkaAdmin) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let topic = try? admin.topic(name), topic.error == nil, topic.partitionCount >= count { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw RestoreError.failure("target topic \(name) was created but its \(count) partitions did not appear within 30 s")
    }
}
