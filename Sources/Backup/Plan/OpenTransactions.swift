import Kafka
import Layout

/// A backup reads read_committed, so each partition ends at its last stable offset, which an open
/// transaction holds back. One left open (a hanging transaction) keeps every later run from backing
/// up the partition, each finding nothing new; so partitions with nothing to back up are asked for
/// their high watermark, past open transactions, and those with records waiting are named.
enum OpenTransactions {
    static func warn(about plans: [PartitionPlan], kafka: KafkaConfig, warn: @escaping @Sendable (String) -> Void) async {
        let idle = plans.filter { !$0.hasWork && $0.gaps.isEmpty && $0.endBelowCheckpoint == nil }
        guard !idle.isEmpty else { return }
        var config = kafka
        // Advisory only: a cluster that cannot answer it neither fails the run nor holds it long.
        guard (try? config.set("isolation.level", "read_uncommitted")) != nil,
            let ends = try? await KafkaBlocking.run({ [config] in
                try KafkaAdmin(config: config).endOffsets(idle.map(\.partition), timeoutMilliseconds: 5_000)
            })
        else { return }
        for plan in idle {
            guard let high = ends[plan.partition], high > plan.end else { continue }
            warn(line(plan.partition, stable: plan.end, high: high))
        }
    }

    static func line(_ partition: TopicPartition, stable: Int64, high: Int64) -> String {
        "topic \(partition.topic) partition \(partition.partition): no committed records to back up, but \(high - stable) offsets past \(stable) wait on an open transaction (the partition ends at \(high)); they are backed up once it commits or aborts. A transaction open run after run is hanging: find it with kafka-transactions.sh find-hanging"
    }
}
