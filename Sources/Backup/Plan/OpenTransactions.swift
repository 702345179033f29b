import Kafka
import Layout

/// A backup reads read_committed, so each partition ends at its last stable offset, which an open
/// transaction holds back. One left open (a hanging transaction) keeps every later run from backing
/// up the partition, each finding nothing new; so partitions with nothing to back up are asked for
/// their end past open transactions, then their stable end again, and those whose stable end stays
/// below the other are named.
enum OpenTransactions {
    static func warn(
        about plans: [PartitionPlan], admin: KafkaAdmin, kafka: KafkaConfig, warn: @escaping @Sendable (String) -> Void
    ) async {
        let idle = plans.filter { !$0.hasWork && $0.gaps.isEmpty && $0.endBelowCheckpoint == nil }.map(\.partition)
        guard !idle.isEmpty else { return }
        var config = kafka
        // Advisory only: a cluster that cannot answer at once neither fails the run nor holds it long.
        // The ends past open transactions first, then the stable ends: a record arriving between the
        // two moves both, so only a stable end that stays below the other is held back.
        guard (try? config.set("isolation.level", "read_uncommitted")) != nil,
            let ends = try? await KafkaBlocking.run({ [config] in
                try KafkaAdmin(config: config).endOffsetsAskedOnce(idle, timeoutMilliseconds: 5_000)
            }),
            let stable = try? await KafkaBlocking.run({ try admin.endOffsetsAskedOnce(idle, timeoutMilliseconds: 5_000) })
        else { return }
        for partition in idle {
            guard let high = ends[partition], let end = stable[partition], end < high else { continue }
            warn(line(partition, stable: end, high: high))
        }
    }

    static func line(_ partition: TopicPartition, stable: Int64, high: Int64) -> String {
        "topic \(partition.topic) partition \(partition.partition): no committed records to back up, but \(high - stable) offsets past \(stable) wait on an open transaction (the partition ends at \(high)); they are backed up once it commits or aborts. A transaction open run after run is hanging: find it with kafka-transactions.sh find-hanging"
    }
}
