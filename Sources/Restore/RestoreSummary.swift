import Foundation

/// What a restore did (or, with `--dry-run`, would do); written with `--summary-json`.
public struct RestoreSummary: Codable, Sendable {
    public struct Topic: Codable, Sendable {
        public var source: String
        public var target: String
        public var partitions: Int
        public var objects: Int
        /// Records in the plan; nil when a listed store cannot tell without reading.
        public var plannedRecords: Int64?
        public var bytes: Int64
        /// `exists`, `create` or `unchecked`.
        public var targetAction: String
        public var producedRecords: Int64
        /// Records found already in the target (an earlier, interrupted run) and not produced again.
        public var alreadyPresentRecords: Int64
        /// With `--repartition`: the target's partition count the records were spread over by key.
        public var repartitionedInto: Int32?
        /// For a topic this restore created: the configs applied, left at the target's default, refused.
        public var createdConfigs: CreatedTopicConfigs?
    }

    public var dryRun: Bool
    public var topics: [Topic]
    public var producedRecords: Int64
    public var alreadyPresentRecords: Int64
    /// Records left out by --from-time/--to-time.
    public var filteredRecords: Int64
    /// Group → number of partitions whose offset was committed.
    public var committedGroups: [String: Int]
    public var warnings: [String]
    /// Dry run: what stops the restore (the run exits 2 after printing them).
    public var problems: [String] = []
    public var seconds: Double
    /// Ranges of objects the store no longer holds that `--allow-missing` left out (empty otherwise).
    public var missingRanges: [String] = []

    /// One line for the end of a run.
    public var line: String {
        if dryRun {
            var text = "dry run: \(topics.count) topics, \(topics.reduce(0) { $0 + $1.partitions }) partitions"
            if alreadyPresentRecords > 0 { text += ", \(alreadyPresentRecords) records already in the targets" }
            if !problems.isEmpty { text += ", \(problems.count) problem\(problems.count == 1 ? "" : "s")" }
            return text + ", nothing produced"
        }
        var text = "restored \(producedRecords) records into \(topics.count) topics"
        if alreadyPresentRecords > 0 { text += ", \(alreadyPresentRecords) already present" }
        if filteredRecords > 0 { text += ", \(filteredRecords) outside the time range" }
        if !committedGroups.isEmpty { text += ", offsets committed for \(committedGroups.count) groups" }
        return text + String(format: " in %.1f s", seconds)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension RestorePlan {
    /// The plan as `--dry-run` prints it: per topic source → target, partitions, objects, records,
    /// bytes, the partition check and what the target already holds; then warnings and problems.
    public var text: String {
        var lines: [String] = ["restore plan (\(fromManifests ? "from manifests" : "from a bucket listing, no manifests")):"]
        for topic in topics {
            let records = topic.records.map(String.init) ?? "?"
            let check: String
            switch topic.action {
            case .unchecked: check = "target not checked"
            case .exists(let count) where topic.repartitionedInto != nil:
                check = "target has \(count) partitions: repartitioned \(topic.sourcePartitions) → \(count) by key"
            case .exists(let count) where count < topic.sourcePartitions:
                check = "target has \(count) partitions < \(topic.sourcePartitions): refused"
            case .exists(let count): check = "target has \(count) partitions ≥ \(topic.sourcePartitions): ok"
            case .create: check = "target missing: will be created with \(topic.sourcePartitions) partitions" + Self.configsText(topic)
            }
            var line =
                "  \(topic.sourceTopic) → \(topic.targetTopic): \(topic.partitions.count) of \(topic.sourcePartitions) partitions, \(topic.objectCount) objects, \(records) records, \(topic.bytes) bytes; \(check)"
            if topic.isEmptyInStore { line += "; the store holds no record of it" }
            if let present = topic.alreadyPresent, present > 0 {
                line +=
                    "; \(present) already in the target (an earlier run)"
                    + (topic.toProduce.map { "; \($0) to produce" } ?? "")
            }
            lines.append(line)
        }
        if let read = objectsReadToCount {
            lines.append(
                "  records: only those inside --from-time/--to-time (\(read) object\(read == 1 ? "" : "s") read to count them; the manifests' record times decided the others)"
            )
        }
        let groups = Set(groupOffsets.map(\.group)).sorted()
        if !groups.isEmpty { lines.append("  saved offsets of groups: \(groups.joined(separator: ", "))") }
        for warning in warnings { lines.append("  warning: \(warning)") }
        for problem in problems { lines.append("  problem: \(problem)") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func configsText(_ topic: TopicPlan) -> String {
        let configs = topic.manifestTopic.map { TopicCreation.wanted($0) } ?? [:]
        return configs.isEmpty
            ? "" : " and configs " + configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}
