import Layout

/// When a group member that holds nothing may leave. Leaving as soon as the group hands it an empty
/// assignment is unsafe: a group whose leader lacked a topic's metadata hands every member nothing,
/// and the run would back up nothing yet succeed. So such a member leaves only once every partition
/// of the job is accounted for: held by a member of the group, or backed up to where the partition
/// ended when this member joined (the store's checkpoint or the group's committed offset reaches it).
struct GroupCoverage {
    /// Each partition's end offset when this member joined.
    let ends: [TopicPartition: Int64]

    /// Partitions that neither the checkpoint covers nor a member holds, to ask the group about.
    func open(checkpoint: Checkpoint, held: Set<TopicPartition>) -> [TopicPartition] {
        ends.filter { partition, end in
            guard end > 0, !held.contains(partition) else { return false }
            return (checkpoint.nextOffset(topic: partition.topic, partition: partition.partition) ?? 0) < end
        }.keys.sorted()
    }

    /// Of `open`, those the group's committed offsets do not reach either.
    func unaccounted(_ open: [TopicPartition], committed: [TopicPartition: Int64?]) -> [TopicPartition] {
        open.filter { partition in
            guard let end = ends[partition], let done = committed[partition] ?? nil else { return true }
            return done < end
        }
    }
}
