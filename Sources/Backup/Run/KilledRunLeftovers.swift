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
        let uploads: [MultipartUploadInfo]
        do {
            uploads = try await request.store.listMultipartUploads(prefix: request.layout.topicsFolder)
        } catch let error as StoreError where error.kind == .accessDenied {
            // A policy without s3:ListBucketMultipartUploads: the leftovers cost storage, not correctness.
            request.warn(
                "cannot list unfinished multipart uploads (\(error)): those a killed run left under \(request.layout.topicsFolder) are not aborted; grant s3:ListBucketMultipartUploads, or let a lifecycle rule (AbortIncompleteMultipartUpload) remove them"
            )
            return 0
        }
        for upload in uploads {
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
