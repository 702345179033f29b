import Foundation
import Layout

extension JobSpec {
    static func readBackup(_ r: SettingsReader) throws -> BackupSettings {
        let topics = try r.list(.topics)
        if let topics {
            for topic in topics.value {
                if let problem = TopicName.problem(with: topic) { throw r.error(.topics, "'\(topic)': \(problem)") }
            }
        }
        let topicsRegex = try r.regex(.topicsRegex)
        if topics == nil, topicsRegex == nil {
            throw r.error(.topics, "is required: name topics with topics or topics-regex")
        }

        let format = try r.choiceWithDefault(.format, StoreFormat.self)
        let onInvalid = try r.choiceWithDefault(.onInvalidJSON, InvalidJSONPolicy.self)
        let storeKeys = try r.bool(.storeKeys)
        let storeHeaders = try r.bool(.storeHeaders)
        if format.value != .confluentJSON {
            // Only values that would change behaviour are refused, so a printed config reads back.
            for (key, used) in [
                (JobKey.storeKeys, storeKeys.value), (.storeHeaders, storeHeaders.value),
                (.onInvalidJSON, onInvalid.value == .skip)
            ] where used {
                throw r.error(key, "only applies with format: confluent-json (format is \(format.value.rawValue), \(format.origin))")
            }
        }

        let compression = try r.choiceWithDefault(.compression, StoreCompression.self)
        let level = try r.integerWithDefault(.compressionLevel, atLeast: 1)
        if level.value > 9 { throw r.error(.compressionLevel, "must be at most 9 (got \(level.value))") }
        // Refused only where it would be ignored and is not the default, so a printed config reads back.
        if level.value != BackupSettings.defaultCompressionLevel, compression.value != .gzip {
            throw r.error(
                .compressionLevel,
                "only applies with compression: gzip (compression is \(compression.value.rawValue), \(compression.origin))")
        }

        let partSize = try r.bytes(.partSize)
        if partSize.value < Int64(MultipartLimits.minPartSize) {
            throw r.error(.partSize, "must be at least 5 MiB (got \(partSize.value))")
        }
        if partSize.value > Int64(MultipartLimits.maxPartSize) {
            throw r.error(.partSize, "must be at most 5 GiB (got \(partSize.value))")
        }
        let maxObject = try r.bytes(.maxObjectBytes)
        if maxObject.value < partSize.value {
            throw r.error(.maxObjectBytes, "must be at least part-size \(ByteCount.describe(partSize.value)) (got \(maxObject.value))")
        }
        if maxObject.value > partSize.value * Int64(MultipartLimits.maxParts) {
            throw r.error(
                .maxObjectBytes,
                "must be at most part-size × 10000 parts = \(ByteCount.describe(partSize.value * Int64(MultipartLimits.maxParts))) (got \(maxObject.value))"
            )
        }

        let groupID = try r.nonEmpty(.groupID)
        let shard = try r.map(.shard) { text -> ShardAssignment in
            guard let shard = ShardAssignment(parsing: text) else {
                throw r.error(.shard, "expected i/n with 0 ≤ i < n, e.g. 0/3 (got '\(text)')")
            }
            return shard
        }
        if let groupID, shard != nil {
            throw r.error(.shard, "cannot be combined with group-id (set at \(groupID.origin.locate(JobKey.groupID.rawValue)))")
        }

        let storageClass = try r.withDefault(.storageClass) { text -> StorageClass in
            if let reason = StorageClass.refused[text] { throw r.error(.storageClass, "\(text) is refused: \(reason)") }
            return try r.parseChoice(.storageClass, text)
        }

        let lockMode = try r.choice(.objectLockMode, ObjectLockMode.self)
        let lockDays = try r.integer(.objectLockRetainDays, atLeast: 1, atMost: 36_500)
        var objectLock: Setting<ObjectLock>?
        switch (lockMode, lockDays) {
        case (let mode?, let days?): objectLock = Setting(ObjectLock(mode: mode.value, retainDays: days.value), mode.origin)
        case (.some, nil): throw r.error(.objectLockRetainDays, "is required with object-lock-mode")
        case (nil, .some): throw r.error(.objectLockRetainDays, "needs object-lock-mode (GOVERNANCE or COMPLIANCE)")
        case (nil, nil): objectLock = nil
        }

        return BackupSettings(
            topics: topics, topicsRegex: topicsRegex, format: format,
            compression: compression, compressionLevel: level,
            flushSize: try r.integerWithDefault(.flushSize, atLeast: 1), partSize: partSize, maxObjectBytes: maxObject,
            maxOpenObjects: try r.integerWithDefault(.maxOpenObjects, atLeast: 1, atMost: 10_000),
            concurrency: try r.integerWithDefault(.concurrency, atLeast: 1, atMost: 1_000), onInvalidJSON: onInvalid,
            storeKeys: storeKeys, storeHeaders: storeHeaders, groupID: groupID, shard: shard,
            storageClass: storageClass, objectLock: objectLock)
    }

    static func readRestore(_ r: SettingsReader) throws -> RestoreSettings {
        let list = try r.map(.topicRegexList) { text -> TopicRegexList in
            do { return try TopicRegexList(parsing: text) } catch let error as TopicRegexListError {
                let where_ = error.position == 0 ? "" : "entry \(error.position) '\(error.entry)': "
                throw r.error(.topicRegexList, where_ + error.reason)
            }
        }
        let regex = try r.text(.renameRegex)
        let replacement = try r.text(.renameReplacement)
        var rename: Setting<RegexRouter>?
        switch (regex, replacement) {
        case (let regex?, let replacement?):
            // A regex that does not compile is rename-regex's fault, not the replacement's.
            do { _ = try WholeNameRegex(regex.value) } catch let compile as RegexCompileError {
                throw r.error(.renameRegex, "regex does not compile: \(compile.reason)")
            }
            do {
                rename = Setting(try RegexRouter(regex: regex.value, replacement: replacement.value), regex.origin)
            } catch let error as RegexRouterError {
                throw r.error(.renameReplacement, error.reason)
            }
        case (.some, nil): throw r.error(.renameReplacement, "is required with rename-regex")
        case (nil, .some): throw r.error(.renameRegex, "is required with rename-replacement")
        case (nil, nil): rename = nil
        }
        if let regex, regex.value.isEmpty { throw r.error(.renameRegex, "is empty") }

        let from = try r.time(.fromTime)
        let to = try r.time(.toTime)
        if let from, let to, from.value >= to.value {
            throw r.error(.toTime, "must be after from-time (\(from.value) ms ≥ \(to.value) ms)")
        }
        let asOf = try r.map(.asOf) { text -> RunID in
            let id = RunID(rawValue: text.trimmingCharacters(in: .whitespaces))
            guard id.isWellFormed else {
                throw r.error(.asOf, "'\(text)' is not a run id like 20261124T122914.123Z-all-0a1b2c3d")
            }
            return id
        }
        let repartition = try r.bool(.repartition)
        if repartition.value, r.entry(.consumerGroups) != nil {
            // A group's offset points into one source partition; once records change partitions no
            // target offset means "everything before it was read", in any partition.
            throw r.error(
                .repartition,
                "cannot be combined with consumer-groups: offsets cannot be translated once records change partitions (restore the groups' topics without repartition, or let the groups start from a reset offset)"
            )
        }
        return RestoreSettings(
            topicRegexList: list, rename: rename, createTopics: try r.bool(.createTopics), dryRun: try r.bool(.dryRun),
            fromTime: from, toTime: to, asOf: asOf,
            replicationFactor: try r.integer(.replicationFactor, atLeast: 1, atMost: Int(Int16.max)), stateDir: try r.nonEmpty(.stateDir),
            repartition: repartition,
            allowMissing: try r.bool(.allowMissing), keyConverter: try r.choiceWithDefault(.keyConverter, KeyConverter.self))
    }
}
