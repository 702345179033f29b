import Failures
import Kafka
import Layout
import JobSpec

/// Which topics a backup takes: the named ones (each must exist) plus regex matches over the
/// cluster's topics. Internal topics are only taken when named: a regex like `.*` must not sweep
/// up `__consumer_offsets` or Schema Registry's `_schemas`.
enum TopicSelection {
    static func isInternal(_ topic: String) -> Bool {
        topic.hasPrefix("__") || topic == "_schemas" || topic.hasPrefix("_confluent")
    }

    /// Sorted topics with their metadata; a named topic the cluster lacks is invalid input.
    static func select(settings: BackupSettings, metadata: KafkaClusterMetadata) throws -> [KafkaTopicMetadata] {
        let existing = Dictionary(
            metadata.topics.filter { $0.error == nil }.map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first })
        var chosen: [String: KafkaTopicMetadata] = [:]
        for name in settings.topics?.value ?? [] {
            guard let topic = existing[name] else {
                throw RunFailure.invalidInput("topic \(name) does not exist in the cluster").about(topic: name)
            }
            chosen[name] = topic
        }
        if let regex = settings.topicsRegex?.value {
            for (name, topic) in existing where !isInternal(name) && regex.matches(name) { chosen[name] = topic }
        }
        return chosen.values.sorted { $0.name < $1.name }
    }

    /// The topics this store's runs followed from this cluster (`known`, with the cluster id each was
    /// read from, `clusterIds`) that `topics-regex` would take but the cluster no longer lists, or
    /// lists with an error (deleted, or hidden from this principal by an ACL), with that error: a
    /// regex takes what exists, so the run backs none of them up, and would say nothing. Named
    /// topics need not be checked: a missing one stops the run.
    static func missing(
        settings: BackupSettings, metadata: KafkaClusterMetadata, known: Set<String>, clusterIds: [String: String], clusterId: String?
    ) -> [(name: String, error: KafkaError.Code?)] {
        guard let regex = settings.topicsRegex?.value else { return [] }
        let listed = Dictionary(metadata.topics.map { ($0.name, $0.error) }, uniquingKeysWith: { first, _ in first })
        return known.sorted().compactMap { name in
            guard !isInternal(name), regex.matches(name) else { return nil }
            // A topic another job of the store reads from another cluster is not this one's to miss.
            if let recorded = clusterIds[name], let clusterId, recorded != clusterId { return nil }
            guard let error = listed[name] else { return (name, nil) }
            return error.map { (name, $0) }
        }
    }

    /// The warning naming `missing`; nil when there is none.
    static func missingLine(_ missing: [(name: String, error: KafkaError.Code?)]) -> String? {
        guard !missing.isEmpty else { return nil }
        let named = missing.map { topic in topic.error.map { "\(topic.name) (\($0))" } ?? topic.name }
        let (which, them) = missing.count == 1 ? ("topic", "it") : ("topics", "them")
        return
            "\(which) \(named.joined(separator: ", ")), which this store's runs followed and topics-regex matches, \(missing.count == 1 ? "is" : "are") not in the cluster's metadata (deleted, hidden from this principal by an ACL, or answered with an error): this run backs up none of \(them); what the store holds stays. Leave \(them) out of topics-regex to stop this warning"
    }

    /// This process's share: every partition, or with `shard i/n` those at index ≡ i (mod n) of the
    /// sorted (topic, partition) list, so shards are disjoint and together cover the job.
    static func share(of topics: [KafkaTopicMetadata], shard: ShardAssignment?) -> [TopicPartition] {
        let all = topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.name, $0.id) } }.sorted()
        guard let shard else { return all }
        return all.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element)
    }
}
