import Foundation
import Layout
import ObjectStore

/// What a killed run left half-written, costing storage until removed: unfinished multipart uploads
/// and a directory store's temp files. A run that holds the lease on partitions is the only writer
/// of their objects, so any of these under their folders is a dead run's and goes before reading
/// starts. Not in group mode: other members of the group write the same topics at the same time.
enum KilledRunLeftovers {
    /// Aborts the unfinished uploads of `partitions`; returns how many.
    static func abortUploads(_ request: BackupRequest, partitions: [TopicPartition]) async throws -> Int {
        guard request.settings.groupID == nil, !partitions.isEmpty else { return 0 }
        let mine = Set(partitions)
        var aborted = 0
        for upload in try await request.store.listMultipartUploads(prefix: request.layout.topicsFolder) {
            guard let name = try? request.layout.objectKey(parsing: upload.key),
                mine.contains(TopicPartition(name.topic, name.partition))
            else { continue }
            do {
                try await request.store.abortMultipartUpload(upload.key, uploadId: upload.uploadId)
                aborted += 1
            } catch let error as StoreError where error.isNotFound {
                continue
            }
        }
        return aborted
    }

    /// Removes the temp files in the folders of `partitions` (each up to an object's size, and no
    /// listing shows them); returns how many.
    static func removeTempFiles(_ request: BackupRequest, partitions: [TopicPartition]) async throws -> Int {
        guard request.settings.groupID == nil, !partitions.isEmpty else { return 0 }
        return try await request.store.removeAbandonedWrites(
            in: partitions.map { request.layout.partitionFolder(topic: $0.topic, partition: $0.partition) })
    }
}
