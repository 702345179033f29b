import Checksums
import Foundation
import Layout

/// The target partitions a restore writes into, its destinations, in restore order: one per planned
/// partition (p → p), or, for a repartitioned topic, one per partition of its target, which the
/// records of all its source partitions reach by key. Each has a number, its index here, under which
/// the delivery ledger tallies its reports and the resume state keeps its entry.
struct RestoreDestinations {
    struct Destination {
        var target: TopicPartition
        var sourceTopic: String
        /// The settings that decide which source records go here, in which order; a state written
        /// under other settings is not resumed.
        var configHash: String
        /// The hash an earlier ktape gave the same settings, where it differs (a file regex taking
        /// every name was hashed as written): its state is resumed too.
        var earlierConfigHash: String? = nil
        /// Source offset of the first record (for a repartitioned topic, of its first partition).
        var firstSourceOffset: Int64
        /// Records planned (nil when unknown, and for a repartitioned topic's destinations).
        var plannedRecords: Int64?
        /// The one source partition feeding it (p → p), for a prune to follow the restore; nil for a
        /// repartitioned topic's destinations, and for a restore bounded by `--to-time` or `--as-of`,
        /// which is done at its bound whatever a prune removes past it.
        var sourcePartition: Int32? = nil
    }

    private(set) var all: [Destination] = []
    /// For each planned partition (an index of `plan.partitions`), its destination; nil when its topic is repartitioned.
    private(set) var destinationOfPartition: [Int?] = []
    /// For each repartitioned source topic: its planned partitions and its destinations (by target partition).
    private(set) var repartitioned: [String: (partitions: [Int], destinations: [Int])] = [:]

    init(plan: RestorePlan, options: RestoreOptions) {
        var index = 0
        for topic in plan.topics {
            let units = Array(index..<index + topic.partitions.count)
            index += topic.partitions.count
            guard let count = topic.repartitionedInto else {
                for partition in topic.partitions {
                    destinationOfPartition.append(all.count)
                    let hashes = Self.hashes(
                        source: "\(partition.source)", topic: topic.sourceTopic, target: partition.target,
                        options: options, without: partition.skippedMissing)
                    all.append(
                        Destination(
                            target: partition.target, sourceTopic: topic.sourceTopic,
                            configHash: hashes.current, earlierConfigHash: hashes.earlier,
                            firstSourceOffset: partition.objects.first?.name.startOffset ?? 0,
                            plannedRecords: partition.records,
                            sourcePartition: options.toTime == nil && options.asOf == nil ? partition.partition : nil))
                }
                continue
            }
            destinationOfPartition += units.map { _ in nil }
            let first = topic.partitions.first?.objects.first?.name.startOffset ?? 0
            let destinations = (0..<count).map { p -> Int in
                let target = TopicPartition(topic.targetTopic, p)
                let hashes = Self.hashes(
                    source: topic.sourceTopic, topic: topic.sourceTopic, target: target,
                    options: options, without: topic.partitions.flatMap(\.skippedMissing),
                    extra: "repartition=murmur2/\(count)")
                all.append(
                    Destination(
                        target: target, sourceTopic: topic.sourceTopic,
                        configHash: hashes.current, earlierConfigHash: hashes.earlier,
                        firstSourceOffset: first, plannedRecords: nil))
                return all.count - 1
            }
            repartitioned[topic.sourceTopic] = (units, destinations)
        }
    }

    subscript(destination: Int) -> Destination { all[destination] }
    /// The target topics, each once, in restore order.
    var targetTopics: [String] {
        var seen = Set<String>()
        return all.map(\.target.topic).filter { seen.insert($0).inserted }
    }
    var count: Int { all.count }
    var indices: Range<Int> { all.indices }

    /// Whether `state`, saved for a partition a prune has emptied since, was written by a restore
    /// with these settings (of the partition as it was, all its objects there).
    static func sameSettings(_ state: RestoreResumeState, away: PrunedAway, options: RestoreOptions) -> Bool {
        let source = TopicPartition(away.sourceTopic, away.target.partition)
        let hashes = hashes(source: "\(source)", topic: away.sourceTopic, target: away.target, options: options, without: [])
        return state.sourceTopic == away.sourceTopic && (state.configHash == hashes.current || state.configHash == hashes.earlier)
    }

    /// The settings hash, and the one ktape gave them before a file regex taking every name counted
    /// as none (nil when that is the same). `source` is what the destination restores from: a
    /// partition, or a whole topic when repartitioned; `without`, the objects `--allow-missing` left out of it.
    private static func hashes(
        source: String, topic: String, target: TopicPartition, options: RestoreOptions,
        without: [String], extra: String? = nil
    ) -> (current: String, earlier: String?) {
        // A regex that takes every file name is the same selection as none (`orders:.*` is Confluent's usual form).
        let files = options.topicRegexList?.entry(for: topic)?.regex.pattern
        let takesAll = files.map { [".*", ".+"].contains($0) } ?? false
        let current = hash(source: source, target: target, files: takesAll ? nil : files, options: options, without: without, extra: extra)
        return (
            current, takesAll ? hash(source: source, target: target, files: files, options: options, without: without, extra: extra) : nil
        )
    }

    private static func hash(
        source: String, target: TopicPartition, files: String?, options: RestoreOptions, without: [String], extra: String?
    ) -> String {
        var lines = [
            "source=\(source)", "target=\(target)",
            "files=\(files ?? "*")",
            "from-time=\(options.fromTime.map(String.init) ?? "")", "to-time=\(options.toTime.map(String.init) ?? "")",
            "as-of=\(options.asOf?.rawValue ?? "")"
        ]
        if !without.isEmpty { lines.append("without=\(without.joined(separator: ","))") }
        // Other key bytes from the same files; the default adds nothing, so earlier states still match.
        if options.keyStyle != .string { lines.append("key-converter=\(options.keyConverterName)") }
        if let extra { lines.append(extra) }
        return Digest.hex(Digest.sha256(Array(lines.joined(separator: "\n").utf8)))
    }
}
