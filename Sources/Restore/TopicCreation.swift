import Failures
import Foundation
import Kafka
import Layout

/// What creating a missing target topic did with its source's configs: applied, left at the target
/// cluster's default (the same value there), or refused by the target (with its reason).
public struct CreatedTopicConfigs: Codable, Sendable, Equatable {
    public var applied: [String: String] = [:]
    public var atTargetDefault: [String] = []
    public var refused: [String: String] = [:]
}

/// Creates a target topic with the configs a faithful copy needs (`TopicConfigs`), as saved in the
/// source's manifest: those that differ from the target cluster's default, and the cleanup policy always.
/// A config the target refuses is dropped and the topic created without it; the broker's reason names
/// the config (`Unknown topic config name: x`, `Invalid value v for configuration x`), and when it names
/// none, every config is dropped at once.
enum TopicCreation {
    /// The configs the manifest asks for: its saved configs, and its cleanup policy (manifests before
    /// the faithful set held the policy only in `cleanupPolicy`).
    static func wanted(_ topic: ManifestTopic) -> [String: String] {
        var configs = topic.configs
        if configs["cleanup.policy"] == nil { configs["cleanup.policy"] = topic.cleanupPolicy }
        return configs
    }

    /// Creates `topic`; `create` sends one CreateTopics request and returns why the broker refused the
    /// topic, if it did. Throws when the topic is refused even without configs.
    static func create(
        _ topic: KafkaNewTopic, brokerDefaults: [String: String],
        create: (KafkaNewTopic) throws -> String?
    ) throws -> CreatedTopicConfigs {
        var outcome = CreatedTopicConfigs()
        var trying = topic
        for (name, value) in topic.configs where !TopicConfigs.essential.contains(name) {
            if let standard = TopicConfigs.clusterDefault(of: name, brokerConfigs: brokerDefaults), TopicConfigs.sameValue(value, standard)
            {
                trying.configs[name] = nil
                outcome.atTargetDefault.append(name)
            }
        }
        outcome.atTargetDefault.sort()
        while let reason = try create(trying) {
            guard !trying.configs.isEmpty else { throw RunFailure.failure("cannot create target topic \(topic.name): \(reason)") }
            // The longest name the reason holds: `retention.ms` is inside `delete.retention.ms` too.
            let named = trying.configs.keys.filter { reason.contains($0) }.max { $0.count < $1.count }
            for name in named.map({ [$0] }) ?? Array(trying.configs.keys) {
                outcome.refused[name] = reason
                trying.configs[name] = nil
            }
        }
        outcome.applied = trying.configs
        return outcome
    }
}
