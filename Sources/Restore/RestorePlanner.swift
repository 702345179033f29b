import Failures
import Foundation
import Layout
import TimeText

/// Turns a catalog and the options into a plan, listing in `problems` every topic that cannot be
/// restored (all of them, so a dry run shows them at once); pure (no I/O).
enum RestorePlanner {
    static func plan(_ catalog: SourceCatalog, options: RestoreOptions) throws -> RestorePlan {
        var warnings = catalog.warnings
        // Topics prune emptied have no partitions left in the catalog, but are the store's all the same:
        // selected, they are said to be pruned rather than left out without a word. Topics the runs saw
        // with no record at all are the store's too: their targets are checked or created, nothing produced.
        let storeTopics = Set(catalog.partitions.keys.map(\.topic)).union(catalog.prunedThrough.keys.map(\.topic))
            .union(catalog.topics.keys)
        var selected: [String]
        if let list = options.topicRegexList {
            let missing = list.topics.filter { !storeTopics.contains($0) }
            selected = list.topics.filter { storeTopics.contains($0) }
            if selected.isEmpty {
                throw RunFailure.invalidInput(
                    "topic-regex-list names \(list.topics.joined(separator: ", ")), but the store holds none of them (it holds: \(storeTopics.sorted().joined(separator: ", ")))"
                )
            }
            for topic in missing { warnings.append("topic \(topic) named in topic-regex-list has no objects in the store") }
        } else {
            selected = storeTopics.sorted()
            if catalog.partitions.isEmpty && catalog.prunedThrough.isEmpty {
                // Runs whose every offset was lost to retention before it was read name no object.
                let asOf = options.asOf.map { " as of run \($0)" } ?? ""
                throw RunFailure.invalidInput("nothing to restore: the store's runs\(asOf) name no object (ktape ls shows what it holds)")
            }
        }
        // Schema Registry's topic goes first, so schemas exist before the records that use them.
        selected.sort { ($0 == "_schemas" ? 0 : 1, $0) < ($1 == "_schemas" ? 0 : 1, $1) }

        var problems = catalog.problems.filter { $0.topic.map(selected.contains) ?? true }.map {
            $0.isContinuity ? "store continuity: \($0.text) (the manifests do not account for every offset; run ktape verify)" : $0.text
        }
        // ktape's backups write keys as StringConverter does; read another way they would change.
        if catalog.hasManifests && options.keyStyle != .string {
            problems.append(
                "--key-converter \(options.keyConverterName): this store was written by ktape backups, whose .keys.json keys are JSON strings (key-converter string); the setting is for a Confluent sink's bucket, which has no manifests: leave it out"
            )
        }

        var targets: [String: String] = [:]
        var topics: [TopicPlan] = []
        var prunedAway: [PrunedAway] = []
        // Why each topic selected has nothing to restore, but for a time range.
        var empty: [String] = []
        var emptiedByPrune = 0
        var filteredByTime: Int64 = 0
        for source in selected {
            let target = options.target(of: source)
            if let other = targets[target] {
                problems.append("source topics \(other) and \(source) would both restore into \(target); change --rename-regex")
                continue
            }
            if let problem = TopicName.problem(with: target) {
                problems.append("target topic '\(target)' (renamed from \(source)): \(problem)")
                continue
            }
            targets[target] = source
            var partitions: [PartitionPlan] = []
            var refused = false
            var held = false
            var fileMatched = options.topicRegexList == nil
            for tp in catalog.partitions.keys.filter({ $0.topic == source }).sorted() {
                if !(catalog.partitions[tp] ?? []).isEmpty { held = true }
                // An object whose records all fall outside the time range is not needed: not read,
                // nor looked for (so a range deleted before --from-time does not stop the restore).
                // Without a filter the catalog's array is shared, not copied (a million objects).
                var objects = catalog.partitions[tp] ?? []
                if options.topicRegexList != nil || options.hasTimeFilter {
                    objects = []
                    for object in catalog.partitions[tp] ?? []
                    where options.topicRegexList?.selects(fileName: object.fileName, topic: source) ?? true {
                        fileMatched = true
                        if options.excludesByTime(object) { filteredByTime += object.records ?? 0 } else { objects.append(object) }
                    }
                }
                guard !objects.isEmpty else { continue }
                if let problem = Self.sameStart(objects, tp) {
                    problems.append(problem)
                    refused = true
                    continue
                }
                if options.hasTimeFilter, let plain = objects.first(where: { !$0.isEnvelope }) {
                    problems.append("--from-time/--to-time: object \(plain.key) is confluent-json, which stores no timestamps")
                    refused = true
                    break
                }
                // A plain loop: the nested-closure form crashed the 6.3 optimizer (CopyPropagation) in release builds.
                var records: Int64? = 0
                for object in objects {
                    guard let count = object.records, let sum = records else {
                        records = nil
                        break
                    }
                    records = sum + count
                }
                partitions.append(
                    PartitionPlan(
                        sourceTopic: source, targetTopic: target, partition: tp.partition,
                        objects: objects, records: records,
                        bytes: objects.reduce(0) { $0 + $1.bytes }, prunedThrough: catalog.prunedThrough[tp]))
            }
            for tp in catalog.prunedThrough.keys where tp.topic == source && (catalog.partitions[tp] ?? []).isEmpty {
                prunedAway.append(
                    PrunedAway(sourceTopic: source, target: TopicPartition(target, tp.partition), through: catalog.prunedThrough[tp] ?? 0))
            }
            let pruned = catalog.prunedThrough.keys.contains { $0.topic == source }
            if options.hasTimeFilter, held, let reached = Self.prunedInRange(catalog, topic: source, options: options) {
                warnings.append(
                    "topic \(source): the store's prunes removed records of the time range (up to \(Timestamps.rfc3339(Date(timeIntervalSince1970: Double(reached) / 1000)))); only those still kept are restored (ktape ls shows what and when)"
                )
            }
            let emptyInStore = !held && !pruned && catalog.topics[source] != nil
            guard !partitions.isEmpty || emptyInStore, !refused else {
                if !held {
                    // The catalog leaves pruned objects out; as of an early run that can be all of them.
                    let asOf = options.asOf.map { " as of run \($0)" } ?? ""
                    let reason = "topic \(source): every object\(asOf) was pruned (ktape ls shows what and when)"
                    empty.append(reason)
                    warnings.append(reason)
                    emptiedByPrune += 1
                } else if !fileMatched {
                    empty.append(
                        "topic \(source): no file matches its topic-regex-list regex (files are named <topic>+<partition>+<offset>.<ext>)")
                    warnings.append("topic \(source): no file matches its topic-regex-list regex")
                } else if !refused {
                    warnings.append("topic \(source): no record in the time range")
                }
                continue
            }
            let manifestTopic = catalog.topics[source]
            if manifestTopic?.timestampType == .logAppendTime {
                warnings.append("topic \(source) used LogAppendTime; its records keep their original timestamps as CreateTime")
            }
            topics.append(
                TopicPlan(
                    sourceTopic: source, targetTopic: target,
                    sourcePartitions: catalog.partitionCount(of: source),
                    partitions: partitions, manifestTopic: manifestTopic, isEmptyInStore: emptyInStore))
            if emptyInStore { empty.append("topic \(source): the store holds no record of it") }
        }
        // Nothing selected anywhere (a regex matching no file, an as-of run whose objects were all
        // pruned) is a mistake to report, not an empty restore; a time range that holds no record is not.
        var nothingLeft: String?
        if problems.isEmpty, !empty.isEmpty, empty.count == selected.count {
            nothingLeft = "nothing to restore: \(empty.joined(separator: "; "))"
            // Unless a restore with these settings had restored them whole before the prune: the
            // resume states tell (RestoreEngine), which a pure plan cannot read.
            if let nothingLeft, emptiedByPrune < empty.count || prunedAway.isEmpty { throw RunFailure.invalidInput(nothingLeft) }
        }
        let restored = Set(topics.map(\.sourceTopic))
        var plan = RestorePlan(
            topics: topics, warnings: warnings, problems: problems, fromManifests: catalog.hasManifests,
            groupOffsets: catalog.groupOffsets.filter { restored.contains($0.topic) })
        plan.filteredByTime = filteredByTime
        plan.nothingLeft = nothingLeft
        plan.prunedAway = prunedAway.sorted { ($0.target.topic, $0.target.partition) < ($1.target.topic, $1.target.partition) }
        return plan
    }

    /// The newest record time of `topic`'s pruned objects, when the time range reaches their times.
    static func prunedInRange(_ catalog: SourceCatalog, topic: String, options: RestoreOptions) -> Int64? {
        let reached = catalog.prunedTimes.filter { tp, times in
            tp.topic == topic && times.upperBound >= options.fromTime ?? .min && times.lowerBound < options.toTime ?? .max
        }
        return reached.values.map(\.upperBound).max()
    }

    /// Objects of a listed partition that start at the same offset hold the same records twice (each
    /// record is in one file, named by the first one's offset): both would be restored. Sorted by
    /// start offset, twins are neighbours.
    static func sameStart(_ objects: [SourceObject], _ partition: TopicPartition) -> String? {
        var twins: [(SourceObject, SourceObject)] = []
        for (one, next) in zip(objects, objects.dropFirst())
        where one.manifest == nil && next.manifest == nil && one.name.startOffset == next.name.startOffset {
            twins.append((one, next))
        }
        guard let (one, next) = twins.first else { return nil }
        let more = twins.count > 1 ? "; \(twins.count - 1) more such pairs" : ""
        return
            "\(partition): objects \(one.key) and \(next.key) both start at offset \(one.name.startOffset), so they hold the same records (written twice: another zero padding, gzip beside plain, or a sink that wrote them again into another folder); remove one of them\(more)"
    }
}
