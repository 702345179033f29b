import Foundation
import Layout
import ObjectStore

/// What a killed run left half-written, costing storage until removed: unfinished multipart uploads
/// and a directory store's temp files. A run that holds the lease on partitions is the only writer
/// of their objects, so any upload under their folders is a dead run's and goes before reading
/// starts (not in group mode: other members of the group write the same topics at the same time).
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

    /// Removes the temp files that killed writers of a directory store left, wherever they wrote
    /// (each up to an object's size, and no listing shows them); returns how many. The store tells
    /// them from live writers' (group members' too), so any run may.
    static func removeTempFiles(_ request: BackupRequest) async throws -> Int {
        try await request.store.removeAbandonedWrites()
    }
}
