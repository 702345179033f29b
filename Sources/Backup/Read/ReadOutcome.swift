import Layout

/// What reading left for the manifest: the partitions held at the end and their durable objects.
struct ReadOutcome {
    var writers: [PartitionWriter]
    var uploads: UploadQueue
    /// Runs after the manifest is written (group mode commits offsets and leaves the group).
    var finish: ([ManifestPartition]) async -> Void = { _ in }
    /// Partitions of the job this run did not hold but found never written (end offset 0): group
    /// mode's, whose member holding them may have died (`GroupReadLoop.emptyAtJoin`).
    var emptyElsewhere: [TopicPartition] = []

    /// Objects of the partitions held, in key order. A partition revoked and assigned again may have
    /// had the same object written twice (identical bytes); it is listed once.
    var objects: [ManifestObject] {
        let held = Set(writers.map(\.partition))
        var byKey: [String: ManifestObject] = [:]
        for object in uploads.completed where held.contains(TopicPartition(object.topic, object.partition)) {
            byKey[object.key] = object
        }
        return byKey.values.sorted { ($0.topic, $0.partition, $0.firstOffset) < ($1.topic, $1.partition, $1.firstOffset) }
    }
}
