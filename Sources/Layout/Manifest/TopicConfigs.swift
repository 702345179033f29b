import Foundation

/// The topic configs a faithful copy of a topic needs. A backup saves them whatever source the broker
/// reports (some brokers report a topic's own settings as defaults), and a restore that creates the
/// topic applies those that differ from the target cluster's default; the cleanup policy always.
public enum TopicConfigs {
    /// Saved for every topic: how long and how much it keeps, how it compacts, its timestamps and largest record.
    public static let faithful: Set<String> = [
        "cleanup.policy", "retention.ms", "retention.bytes", "message.timestamp.type", "max.message.bytes",
        "min.compaction.lag.ms", "max.compaction.lag.ms", "delete.retention.ms", "min.cleanable.dirty.ratio"
    ]

    /// Applied even when the target's default is the same: a compacted topic must never be created
    /// as one that deletes.
    public static let essential: Set<String> = ["cleanup.policy"]

    /// The cluster-wide default of topic config `name` in a broker's configs (Kafka's synonyms:
    /// `retention.ms` defaults to `log.retention.ms`, else minutes or hours), or nil when unknown.
    public static func clusterDefault(of name: String, brokerConfigs: [String: String]) -> String? {
        if name == "retention.ms" {
            if let ms = brokerConfigs["log.retention.ms"] { return ms }
            if let minutes = brokerConfigs["log.retention.minutes"].flatMap(Int64.init) { return String(minutes * 60_000) }
            return brokerConfigs["log.retention.hours"].flatMap(Int64.init).map { String($0 * 3_600_000) }
        }
        return synonyms[name].flatMap { brokerConfigs[$0] }
    }

    /// True when two values of one config mean the same (`0.5` and `0.50`; list order of `compact,delete`).
    public static func sameValue(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if let x = Double(a), let y = Double(b) { return x == y }
        func items(_ text: String) -> Set<String> {
            Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        }
        return items(a) == items(b)
    }

    private static let synonyms: [String: String] = [
        "cleanup.policy": "log.cleanup.policy",
        "retention.bytes": "log.retention.bytes",
        "message.timestamp.type": "log.message.timestamp.type",
        "max.message.bytes": "message.max.bytes",
        "min.compaction.lag.ms": "log.cleaner.min.compaction.lag.ms",
        "max.compaction.lag.ms": "log.cleaner.max.compaction.lag.ms",
        "delete.retention.ms": "log.cleaner.delete.retention.ms",
        "min.cleanable.dirty.ratio": "log.cleaner.min.cleanable.ratio"
    ]
}
