import Failures
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
            throw RunFailure.wrap(error, "target cluster \(options.kafka.bootstrapServers)")
        }
        let existing = Dictionary(metadata.topics.filter { $0.error == nil }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for index in plan.topics.indices {
            let topic = plan.topics[index]
            let needed = max(topic.sourcePartitions, (topic.partitions.map(\.partition).max() ?? -1) + 1)
            guard let target = existing[topic.targetTopic] else {
                guard options.createTopics else {
                    plan.problems.append(
                        "target topic \(topic.targetTopic) does not exist (source \(topic.sourceTopic) has \(needed) partitions); create it or pass --create-topics"
                    )
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
                plan.problems.append(
                    "target topic \(topic.targetTopic) has \(count) partitions, source topic \(topic.sourceTopic) has \(needed); partition p restores into partition p, so the target needs at least \(needed) (or pass --repartition)"
                )
            } else if count > needed {
                plan.warnings.append(
                    "target topic \(topic.targetTopic) has \(count) partitions, more than the source's \(needed): records keep their partitions, but new records with the same keys may hash elsewhere (--repartition sends them where their keys hash)"
                )
            }
        }
    }

    /// Best-effort look at the targets' configs: a LogAppendTime target overwrites the restored
    /// timestamps; otherwise the retention a target judges them by is kept in the plan for
    /// `RetentionCheck` (a created topic's from what it got). A broker without DescribeConfigs is
    /// asked once, not once per topic.
    static func configWarnings(_ plan: inout RestorePlan, admin: KafkaAdmin, options: RestoreOptions) -> [String] {
        var warnings: [String] = []
        for index in plan.topics.indices where plan.topics[index].action == .create {
            // What it was created with; a retention left at the broker's default is not known here.
            let applied = plan.topics[index].createdConfigs?.applied ?? [:]
            guard applied["message.timestamp.type"] != TopicTimestampType.logAppendTime.rawValue else { continue }
            plan.topics[index].targetRetention = TargetRetention(
                milliseconds: applied["retention.ms"].flatMap { Int64($0) }, cleanupPolicy: applied["cleanup.policy"])
        }
        for index in plan.topics.indices where plan.topics[index].action != .create {
            let topic = plan.topics[index]
            let entries: [KafkaConfigEntry]
            do {
                entries = try admin.describeTopicConfigs(topic.targetTopic, timeoutMilliseconds: options.bestEffortTimeoutMilliseconds)
            } catch {
                return warnings + ["cannot read target topic configs (\(error)); timestamp types and retention are not checked"]
            }
            func value(_ name: String) -> String? { entries.first { $0.name == name }?.value }
            if value("message.timestamp.type") == "LogAppendTime" {
                warnings.append("target topic \(topic.targetTopic) uses LogAppendTime: the broker replaces the restored timestamps")
                continue
            }
            plan.topics[index].targetRetention = TargetRetention(
                milliseconds: value("retention.ms").flatMap { Int64($0) }, cleanupPolicy: value("cleanup.policy"))
        }
        return warnings
    }

    /// Creates the topics marked `.create` with the source's partition count and the configs a faithful
    /// copy needs (`TopicCreation`), noting in each topic what was applied and refused. Returns warnings.
    static func create(_ plan: inout RestorePlan, admin: KafkaAdmin, options: RestoreOptions) throws -> [String] {
        var warnings: [String] = []
        let creating = plan.topics.indices.filter { plan.topics[$0].action == .create }
        guard !creating.isEmpty else { return [] }
        let defaults = brokerDefaults(admin: admin, timeoutMilliseconds: options.bestEffortTimeoutMilliseconds)
        for index in creating {
            let topic = plan.topics[index]
            let configs = topic.manifestTopic.map(TopicCreation.wanted) ?? [:]
            let newTopic = KafkaNewTopic(
                name: topic.targetTopic, partitions: topic.sourcePartitions,
                replicationFactor: Int32(options.replicationFactor ?? -1), configs: configs)
            let created = try TopicCreation.create(newTopic, brokerDefaults: defaults) {
                try createOne($0, admin: admin, timeout: options.createTimeoutMilliseconds)
            }
            plan.topics[index].createdConfigs = created
            for (name, reason) in created.refused.sorted(by: { $0.key < $1.key }) {
                warnings.append(
                    "target topic \(topic.targetTopic) refused config \(name)=\(configs[name] ?? "") (\(reason)); created without it")
            }
            if created.applied["message.timestamp.type"] == TopicTimestampType.logAppendTime.rawValue {
                warnings.append(
                    "target topic \(topic.targetTopic) was created with LogAppendTime, as its source had: the broker replaces the restored timestamps"
                )
            }
            try waitForPartitions(topic.targetTopic, count: topic.sourcePartitions, admin: admin, clock: options.clock)
        }
        return warnings
    }

    /// The target cluster's broker configs (its topic defaults among them), best-effort: empty when
    /// the broker does not answer DescribeConfigs for a broker (librdkafka's mock; tansu answers none).
    private static func brokerDefaults(admin: KafkaAdmin, timeoutMilliseconds: Int32) -> [String: String] {
        guard let broker = try? admin.metadata().brokers.first?.id,
            let entries = try? admin.describeBrokerConfigs(broker, timeoutMilliseconds: timeoutMilliseconds)
        else { return [:] }
        return Dictionary(entries.compactMap { entry in entry.value.map { (entry.name, $0) } }, uniquingKeysWith: { a, _ in a })
    }

    /// One CreateTopics request: the broker's reason when it refused the topic, nil when it was created
    /// (or exists). A broker without CreateTopics is invalid input: nothing was produced, and only
    /// another cluster or creating the topics by hand helps.
    private static func createOne(_ topic: KafkaNewTopic, admin: KafkaAdmin, timeout: Int32) throws -> String? {
        do {
            let failures = try admin.createTopics([topic], timeoutMilliseconds: timeout)
            guard let failure = failures[topic.name], failure.code != .topicAlreadyExists else { return nil }
            return failure.detail
        } catch let error as KafkaError {
            if case .unsupported = error.kind { throw RunFailure.invalidInput(cannotCreate(topic.name, error)) }
            throw RunFailure.wrap(error, "cannot create target topic \(topic.name)")
        }
    }

    private static func cannotCreate(_ topic: String, _ error: KafkaError) -> String {
        "cannot create target topic \(topic): \(error); create the target topics by hand, then restore without --create-topics"
    }

    /// For a dry run: the refusal `create` would meet at once, a cluster that cannot take CreateTopics
    /// (no controller in its metadata), found without creating anything.
    static func creationProblems(_ plan: RestorePlan, admin: KafkaAdmin, options: RestoreOptions) -> [String] {
        guard let first = plan.topics.first(where: { $0.action == .create }) else { return [] }
        do {
            try admin.checkCreateTopics(timeoutMilliseconds: options.createTimeoutMilliseconds)
        } catch let error as KafkaError {
            if case .unsupported = error.kind { return [cannotCreate(first.targetTopic, error)] }
        } catch {}
        return []
    }

    private static func waitForPartitions(_ name: String, count: Int32, admin: KafkaAdmin, clock: () -> Date) throws {
        let deadline = clock().addingTimeInterval(30)
        while clock() < deadline {
            if let topic = try? admin.topic(name), topic.error == nil, topic.partitionCount >= count { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw RunFailure.failure("target topic \(name) was created but its \(count) partitions did not appear within 30 s")
    }
}
