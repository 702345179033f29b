import Failures
import Layout
import ObjectStore

/// An object whose streams are completing in the background.
struct PendingObject {
    var key: String
    var topic: String
    var partition: Int32
    var firstOffset: Int64
    var lastOffset: Int64
    var spanStart: Int64
    var spanEnd: Int64
    var recordCount: Int64
    var minTimestamp: Int64?
    var maxTimestamp: Int64?
    /// Main object first, then companions.
    var uploads: [(key: String, task: Task<StreamingUpload.Summary, Error>)]
}

/// Bounds how many closed objects complete at once (`concurrency`): the read thread waits for the
/// oldest before handing over another, so closed-but-uploading objects cannot pile up in memory.
final class UploadQueue {
    private let limit: Int
    private var pending: [PendingObject] = []
    private(set) var completed: [ManifestObject] = []
    /// Bytes stored, companions included.
    private(set) var storedBytes: Int64 = 0

    init(limit: Int) { self.limit = max(1, limit) }

    func submit(_ object: PendingObject) throws {
        pending.append(object)
        while pending.count > limit { try complete(pending.removeFirst()) }
    }

    /// Waits for every object; after it returns, every object in `completed` is durable.
    func drain() throws {
        while !pending.isEmpty { try complete(pending.removeFirst()) }
    }

    /// Waits for the objects of `partitions` still uploading (group mode: before giving them up, so
    /// their next owner never writes an object while this member still does).
    func drain(partitions: Set<TopicPartition>) throws {
        let (theirs, others) = (
            pending.filter { partitions.contains(TopicPartition($0.topic, $0.partition)) },
            pending.filter { !partitions.contains(TopicPartition($0.topic, $0.partition)) }
        )
        pending = others
        for object in theirs { try complete(object) }
    }

    /// Waits for what is in flight, ignoring failures (a run that already failed).
    func abandon() {
        for object in pending {
            for upload in object.uploads { _ = try? ThreadBridge.wait { try await upload.task.value } }
        }
        pending = []
    }

    private func complete(_ object: PendingObject) throws {
        var summaries: [StreamingUpload.Summary] = []
        for upload in object.uploads {
            do {
                let task = upload.task
                summaries.append(try ThreadBridge.wait { try await task.value })
            } catch {
                throw RunFailure.wrap(error, "upload \(upload.key)")
            }
        }
        guard let main = summaries.first else { return }
        storedBytes += summaries.reduce(0) { $0 + $1.size }
        completed.append(
            ManifestObject(
                key: object.key, topic: object.topic, partition: object.partition,
                firstOffset: object.firstOffset, lastOffset: object.lastOffset,
                spanStart: object.spanStart, spanEnd: object.spanEnd, recordCount: object.recordCount,
                byteSize: main.size, crc64nvme: main.crc64nvme.base64, etag: main.etag, companionKeys: summaries.dropFirst().map(\.key),
                companionChecksums: summaries.count > 1
                    ? summaries.dropFirst().map { CompanionChecksum(byteSize: $0.size, crc64nvme: $0.crc64nvme.base64, etag: $0.etag) }
                    : nil,
                minTimestamp: object.minTimestamp, maxTimestamp: object.maxTimestamp))
    }
}
