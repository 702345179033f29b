import Foundation
import Layout

/// Which commands a job setting belongs to.
public enum JobScope: String, Sendable {
    case common, backup, restore
    /// `ls` and `verify`.
    case inspect
    case prune
}

/// Commands that read job settings.
public enum JobCommand: String, Sendable, CaseIterable {
    case backup, restore, ls, verify, prune

    /// True when `key` applies to this command: its scope's keys, and for prune the topic selection
    /// of backup and restore's `dry-run` (the same names mean the same things).
    public func accepts(_ key: JobKey) -> Bool {
        if self == .prune, [.topics, .topicsRegex, .dryRun].contains(key) { return true }
        switch key.scope {
        case .common: return true
        case .backup: return self == .backup
        case .restore: return self == .restore
        case .inspect: return self == .ls || self == .verify
        case .prune: return self == .prune
        }
    }
}

/// Every job key, named as the flag without `--`; the one table that docs, unknown-key hints and
/// `--print-config` follow.
public enum JobKey: String, CaseIterable, Sendable {
    case bootstrapServers = "bootstrap-servers"
    case kafkaProperty = "X"
    case store
    case endpointURL = "endpoint-url"
    case region
    case profile
    case addressingStyle = "addressing-style"
    case topicsDir = "topics-dir"
    case logFormat = "log-format"
    case summaryJSON = "summary-json"
    case metricsFile = "metrics-file"
    case metricsPushURL = "metrics-push-url"
    case verbose
    case mskIAM = "msk-iam"
    case stallTimeout = "stall-timeout"
    case consumerGroups = "consumer-groups"
    case sse
    case sseKMSKeyID = "sse-kms-key-id"
    case acl
    case expectedBucketOwner = "expected-bucket-owner"

    case topics
    case topicsRegex = "topics-regex"
    case format
    case compression
    case compressionLevel = "compression-level"
    case flushSize = "flush-size"
    case partSize = "part-size"
    case maxObjectBytes = "max-object-bytes"
    case maxOpenObjects = "max-open-objects"
    case concurrency
    case onInvalidJSON = "on-invalid-json"
    case storeKeys = "store-keys"
    case storeHeaders = "store-headers"
    case groupID = "group-id"
    case shard
    case storageClass = "storage-class"
    case objectLockMode = "object-lock-mode"
    case objectLockRetainDays = "object-lock-retain-days"

    case topicRegexList = "topic-regex-list"
    case renameRegex = "rename-regex"
    case renameReplacement = "rename-replacement"
    case createTopics = "create-topics"
    case dryRun = "dry-run"
    case fromTime = "from-time"
    case toTime = "to-time"
    case asOf = "as-of"
    case replicationFactor = "replication-factor"
    case stateDir = "state-dir"
    case repartition
    case allowMissing = "allow-missing"
    case keyConverter = "key-converter"

    case json

    case keepWithin = "keep-within"
    case before

    public var scope: JobScope {
        switch self {
        case .bootstrapServers, .kafkaProperty, .store, .endpointURL, .region, .profile, .addressingStyle, .topicsDir, .logFormat,
            .summaryJSON,
            .metricsFile, .metricsPushURL, .verbose, .mskIAM, .stallTimeout, .consumerGroups, .sse, .sseKMSKeyID, .acl,
            .expectedBucketOwner:
            return .common
        case .topics, .topicsRegex, .format, .compression, .compressionLevel, .flushSize, .partSize, .maxObjectBytes, .maxOpenObjects,
            .concurrency, .onInvalidJSON, .storeKeys, .storeHeaders, .groupID, .shard, .storageClass,
            .objectLockMode, .objectLockRetainDays:
            return .backup
        case .topicRegexList, .renameRegex, .renameReplacement, .createTopics, .dryRun, .fromTime, .toTime, .asOf,
            .replicationFactor, .stateDir, .repartition, .allowMissing, .keyConverter:
            return .restore
        case .json:
            return .inspect
        case .keepWithin, .before:
            return .prune
        }
    }

    /// The default as it would be written in a job file, or nil when the key has none.
    public var defaultText: String? {
        switch self {
        case .topicsDir: return "topics"
        case .logFormat: return "text"
        case .stallTimeout: return "120"
        case .addressingStyle: return AddressingStyle.auto.rawValue
        case .mskIAM, .verbose, .storeKeys, .storeHeaders, .createTopics, .dryRun, .json, .repartition, .allowMissing: return "false"
        case .format: return StoreFormat.envelope.rawValue
        case .compression: return StoreCompression.none.rawValue
        case .compressionLevel: return String(BackupSettings.defaultCompressionLevel)
        case .flushSize: return "100000"
        case .partSize: return "8MiB"
        case .maxObjectBytes: return "1GiB"
        case .maxOpenObjects: return "8"
        case .concurrency: return "4"
        case .onInvalidJSON: return InvalidJSONPolicy.fail.rawValue
        case .storageClass: return StorageClass.standard.rawValue
        case .keyConverter: return KeyConverter.string.rawValue
        default: return nil
        }
    }

    /// Values of these `-X` properties are secrets: masked in printed config, never in errors.
    public static func isSecretProperty(_ name: String) -> Bool {
        ClientProperty.isSecret(name)
    }

    /// The closest known key to a misspelt one, if any is close enough to suggest.
    public static func suggestion(for key: String) -> JobKey? {
        let scored = allCases.map { ($0, editDistance(key.lowercased(), $0.rawValue.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
