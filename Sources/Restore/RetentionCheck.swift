import Foundation
import TimeText

/// Restored records keep their timestamps, and a target's time-based retention judges them by those:
/// a restore of records older than the target's `retention.ms` hands the broker records it may delete
/// at its next retention check (every 5 minutes by default), once their segment rolls. Said before
/// producing, from the manifests' record times, so that the retention can be raised first.
enum RetentionCheck {
    /// One warning per topic of `plan` with a `targetRetention` that restored records would outlive.
    /// `restoredBelow` gives, per planned partition (an index of `plan.partitions`), the source offset
    /// below which its target already holds the records (a resumed or caught-up restore), which are
    /// not produced again and not judged.
    static func warnings(_ plan: RestorePlan, restoredBelow: [Int: Int64], options: RestoreOptions) -> [String] {
        let now = Int64(options.clock().timeIntervalSince1970 * 1000)
        var index = 0
        var warnings: [String] = []
        for topic in plan.topics {
            let first = index
            index += topic.partitions.count
            guard let retention = topic.targetRetention else { continue }
            var below: [Int32: Int64] = [:]
            for (offset, partition) in topic.partitions.enumerated() { below[partition.partition] = restoredBelow[first + offset] }
            if let line = expiring(
                topic, retentionMs: retention.milliseconds, cleanupPolicy: retention.cleanupPolicy, now: now, from: options.fromTime,
                to: options.toTime, restoredBelow: below)
            {
                warnings.append(line)
            }
        }
        return warnings
    }

    /// The warning for `topic`, or nil when its records are within the retention, the retention is
    /// unlimited (-1) or unknown, or the topic is compacted only. `from` and `to` are `--from-time`
    /// and `--to-time`; objects wholly below a partition's `restoredBelow` offset are not judged.
    static func expiring(
        _ topic: TopicPlan, retentionMs: Int64?, cleanupPolicy: String?, now: Int64, from: Int64?, to: Int64? = nil,
        restoredBelow: [Int32: Int64] = [:]
    ) -> String? {
        guard let retentionMs, retentionMs >= 0, (cleanupPolicy ?? "delete").contains("delete") else { return nil }
        let cutoff = now - retentionMs
        var oldest: Int64?
        var older: Int64 = 0
        for partition in topic.partitions {
            for object in partition.objects {
                guard let manifest = object.manifest, let first = manifest.minTimestamp else { continue }
                if let below = restoredBelow[partition.partition], manifest.lastOffset < below { continue }
                let start = max(first, from ?? .min)
                guard start < cutoff else { continue }
                oldest = min(oldest ?? start, start)
                if let last = manifest.maxTimestamp, last < cutoff { older += manifest.recordCount }
            }
        }
        guard let oldest else { return nil }
        func time(_ ms: Int64) -> String { Timestamps.rfc3339(Date(timeIntervalSince1970: Double(ms) / 1000)) }
        // Object counts say nothing of a time range that cuts through objects.
        let count = older > 0 && from == nil && to == nil ? ", \(older) of them in objects wholly older" : ""
        // A range that ends before the cutoff has nothing after it to restore instead.
        let instead = (to ?? .max) > cutoff ? ", or restore with --from-time \(time(cutoff))" : ""
        return
            "target topic \(topic.targetTopic) keeps records for retention.ms=\(retentionMs), and restored records keep their timestamps: those before \(time(cutoff)) (the oldest from \(time(oldest))\(count)) may be deleted by the broker soon after they land; raise its retention.ms first\(instead)"
    }
}

/// A target topic's time-based retention, as DescribeConfigs or its creation gave it.
struct TargetRetention: Sendable {
    var milliseconds: Int64?
    var cleanupPolicy: String?
}
