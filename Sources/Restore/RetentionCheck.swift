import Foundation
import TimeText

/// Restored records keep their timestamps, and a target's time-based retention judges them by those:
/// a restore of records older than the target's `retention.ms` hands the broker records it may delete
/// at its next retention check (every 5 minutes by default), once their segment rolls. Said before
/// producing, from the manifests' record times, so that the retention can be raised first.
enum RetentionCheck {
    /// The warning for `topic`, or nil when its records are within the retention, the retention is
    /// unlimited (-1) or unknown, or the topic is compacted only. `from` is `--from-time`.
    static func expiring(_ topic: TopicPlan, retentionMs: Int64?, cleanupPolicy: String?, now: Int64, from: Int64?) -> String? {
        guard let retentionMs, retentionMs >= 0, (cleanupPolicy ?? "delete").contains("delete") else { return nil }
        let cutoff = now - retentionMs
        var oldest: Int64?
        var older: Int64 = 0
        for partition in topic.partitions {
            for object in partition.objects {
                guard let manifest = object.manifest, let first = manifest.minTimestamp else { continue }
                let start = max(first, from ?? .min)
                guard start < cutoff else { continue }
                oldest = min(oldest ?? start, start)
                if let last = manifest.maxTimestamp, last < cutoff { older += manifest.recordCount }
            }
        }
        guard let oldest else { return nil }
        func time(_ ms: Int64) -> String { Timestamps.rfc3339(Date(timeIntervalSince1970: Double(ms) / 1000)) }
        let count = older > 0 ? ", \(older) of them in objects wholly older" : ""
        return
            "target topic \(topic.targetTopic) keeps records for retention.ms=\(retentionMs), and restored records keep their timestamps: those before \(time(cutoff)) (the oldest from \(time(oldest))\(count)) may be deleted by the broker soon after they land; raise its retention.ms first, or restore with --from-time \(time(cutoff))"
    }
}
