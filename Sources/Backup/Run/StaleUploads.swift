import Foundation
import Layout
import ObjectStore

/// Multipart uploads a killed run left unfinished (its parts cost storage until aborted). A run that
/// holds the lease on partitions is the only writer of their objects, so any upload under their
/// folders is a dead run's and is aborted before reading starts. Not in group mode: other members
/// of the group write the same topics at the same time.
enum StaleUploads {
    /// Aborts the unfinished uploads of `partitions`; returns how many.
    static func abort(_ request: BackupRequest, partitions: [TopicPartition]) async throws -> Int {
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
}
