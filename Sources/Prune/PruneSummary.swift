import Foundation
import Layout
import TimeText
import JobSpec

/// What a prune did (or, with `--dry-run`, would do), for the summary line and `--summary-json`.
public struct PruneSummary: Codable, Sendable {
    public struct Partition: Codable, Sendable {
        public var topic: String
        public var partition: Int32
        public var firstOffset: Int64
        public var newFirstOffset: Int64
        public var objects: Int
        public var records: Int64
        public var bytes: Int64
        /// Objects Object Lock keeps: where this partition's prune stopped, or deletes it refused.
        public var keptLocked: [String]

        init(_ plan: PrunePlanner.Partition) {
            topic = plan.topic
            partition = plan.partition
            firstOffset = plan.firstOffset
            newFirstOffset = plan.newFirstOffset
            objects = plan.removed.count
            records = plan.records
            bytes = plan.bytes
            keptLocked = plan.lockedKept.map { [$0] } ?? []
        }
    }

    public var pruneId: String
    public var dryRun: Bool
    /// Records older than this (epoch ms) were pruned.
    public var cutoff: Int64
    public var partitions: [Partition]
    /// Objects below a first kept offset that an earlier prune (killed before its deletes) or a
    /// killed backup left, deleted now too; not in the counts above.
    public var leftovers = 0
    public var seconds: Double

    public var objects: Int { partitions.reduce(0) { $0 + $1.objects } }
    public var records: Int64 { partitions.reduce(0) { $0 + $1.records } }
    public var bytes: Int64 { partitions.reduce(0) { $0 + $1.bytes } }
    public var keptLocked: [String] { partitions.flatMap(\.keptLocked) }

    /// `prune <id>: 12 objects, 12000 records, 1.2 MiB from 4 partitions (records before 2026-…), 0.3 s`.
    public var line: String {
        let verb = dryRun ? "would remove" : "removed"
        let affected = partitions.filter { $0.objects > 0 }.count
        var text =
            "prune \(pruneId): \(verb) \(objects) objects, \(records) records, \(ByteCount.rounded(bytes)) from \(affected) partitions"
            + " (records before \(Timestamps.rfc3339(Date(timeIntervalSince1970: Double(cutoff) / 1000))))"
        if leftovers > 0 { text += ", and \(leftovers) objects earlier prunes or killed runs left below the first kept offsets" }
        if !keptLocked.isEmpty { text += ", \(keptLocked.count) kept by Object Lock (\(keptLocked.prefix(3).joined(separator: ", ")))" }
        return text + String(format: ", %.1f s", seconds)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
