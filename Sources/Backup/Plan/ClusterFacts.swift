import Kafka
import Layout
import JobSpec

/// What a manifest keeps about the cluster besides data: topics with their partition count and the
/// configs a faithful copy needs, and consumer groups' committed offsets. Both are best-effort: a
/// broker without DescribeConfigs or ListGroups (librdkafka's mock) gets one warning, not a failure.
enum ClusterFacts {
    static func topics(
        _ topics: [KafkaTopicMetadata], admin: KafkaAdmin, timeoutMilliseconds: Int32,
        warn: (String) -> Void
    ) -> [ManifestTopic] {
        var describable = true
        return topics.map { topic in
            var manifestTopic = ManifestTopic(name: topic.name, partitionCount: Int32(topic.partitionCount))
            guard describable else { return manifestTopic }
            do {
                let entries = try admin.describeTopicConfigs(topic.name, timeoutMilliseconds: timeoutMilliseconds)
                // The topic's own overrides, and what a faithful copy needs whatever source the broker
                // reports (tansu reports a topic's own settings as DEFAULT_CONFIG); other broker-wide
                // settings are the target cluster's business.
                for entry in entries where (Self.isTopicOverride(entry) || TopicConfigs.faithful.contains(entry.name)) && !entry.isSensitive
                {
                    if let value = entry.value { manifestTopic.configs[entry.name] = value }
                }
                let all = Dictionary(entries.compactMap { e in e.value.map { (e.name, $0) } }, uniquingKeysWith: { a, _ in a })
                manifestTopic.cleanupPolicy = all["cleanup.policy"] ?? "delete"
                if all["message.timestamp.type"] == TopicTimestampType.logAppendTime.rawValue {
                    manifestTopic.timestampType = .logAppendTime
                }
            } catch {
                describable = false
                warn("topic configs are not saved in the manifest (restore --create-topics will use broker defaults): \(error)")
            }
            return manifestTopic
        }
    }

    static func isTopicOverride(_ entry: KafkaConfigEntry) -> Bool {
        switch entry.source {
        case "DYNAMIC_TOPIC_CONFIG": return true
        case "UNKNOWN_CONFIG", "": return !entry.isDefault
        default: return false
        }
    }

    /// Saved group offsets, and why none could be looked for (nil when the groups were asked).
    struct GroupOffsets {
        var offsets: [ManifestGroupOffset] = []
        var notSaved: String?
        /// What was looked at; nil when the groups could not be listed.
        var scope: GroupScope?
    }

    /// The group offsets a run looked at: one a run before saved inside it that this run did not
    /// find is gone, once its group's coordinator says so (`removed`).
    struct GroupScope {
        var partitions: Set<TopicPartition>
        var selection: ConsumerGroupSelection?
        var own: String?
        /// Groups whose committed offsets were read: a partition they have none on has none.
        var read: Set<String> = []
        /// Groups whose offsets could not be read: what they saved before stays.
        var failed: Set<String> = []

        func covers(_ offset: ManifestGroupPartition) -> Bool {
            offset.group != own && !failed.contains(offset.group) && (selection?.selects(offset.group) ?? true)
                && partitions.contains(TopicPartition(offset.topic, offset.partition))
        }
    }

    /// Committed offsets of the selected groups on `partitions`; nil selection means every group
    /// ListGroups reports. `excluding` is the backup's own group (group mode), which is no user's.
    static func groupOffsets(
        selection: ConsumerGroupSelection?, excluding own: String? = nil,
        partitions: [TopicPartition], admin: KafkaAdmin,
        timeoutMilliseconds: Int32, warn: (String) -> Void
    ) -> GroupOffsets {
        guard !partitions.isEmpty else { return GroupOffsets() }
        var groups: [String]
        if case .names(let names)? = selection {
            groups = names
        } else {
            do {
                groups = try admin.listGroups(timeoutMilliseconds: timeoutMilliseconds).map(\.name)
                if let selection { groups = groups.filter(selection.selects) }
            } catch {
                warn("consumer group offsets are not saved in the manifest: \(error)")
                return GroupOffsets(notSaved: "the cluster's consumer groups could not be listed (\(error))")
            }
        }
        let kafkaPartitions = partitions.map { TopicPartition(topic: $0.topic, partition: $0.partition) }
        var offsets: [ManifestGroupOffset] = []
        var scope = GroupScope(partitions: Set(kafkaPartitions), selection: selection, own: own)
        for group in groups.sorted() where group != own {
            do {
                let committed = try admin.committedOffsets(
                    group: group, partitions: kafkaPartitions,
                    timeoutMilliseconds: timeoutMilliseconds)
                for (partition, offset) in committed {
                    guard let offset else { continue }
                    offsets.append(
                        ManifestGroupOffset(group: group, topic: partition.topic, partition: partition.partition, offset: offset))
                }
                scope.read.insert(group)
            } catch {
                scope.failed.insert(group)
                warn("committed offsets of consumer group \(group) are not saved: \(error)")
            }
        }
        return GroupOffsets(
            offsets: offsets.sorted { ($0.group, $0.topic, $0.partition) < ($1.group, $1.topic, $1.partition) }, scope: scope)
    }

    /// Of `vanished` (saved before, not found now), those gone: every one of a group whose offsets
    /// were read, and of a group not listed, those its coordinator says it has no offset on. A group
    /// that cannot be asked keeps its saved offsets; a later run asks again.
    static func removed(
        _ vanished: [ManifestGroupPartition], scope: GroupScope, admin: KafkaAdmin, timeoutMilliseconds: Int32
    ) -> [ManifestGroupPartition] {
        var removed: [ManifestGroupPartition] = []
        var unlisted: [String: [ManifestGroupPartition]] = [:]
        for offset in vanished {
            if scope.read.contains(offset.group) {
                removed.append(offset)
            } else {
                unlisted[offset.group, default: []].append(offset)
            }
        }
        for (group, offsets) in unlisted.sorted(by: { $0.key < $1.key }) {
            let partitions = offsets.map { TopicPartition($0.topic, $0.partition) }
            guard
                let committed = try? admin.committedOffsets(
                    group: group, partitions: partitions, timeoutMilliseconds: timeoutMilliseconds)
            else { continue }
            removed += offsets.filter { offset in committed[TopicPartition(offset.topic, offset.partition)] == .some(nil) }
        }
        return removed.sorted()
    }
}
