import Foundation

/// The one place that turns ktape's handles into keys under a store prefix: data objects under
/// `<topics-dir>/`, metadata under `_ktape/` beside it.
public struct StoreLayout: Hashable, Sendable {
    /// Key prefix inside the bucket, without surrounding slashes; empty for the bucket root.
    public let prefix: String
    /// First folder of the data layout (Confluent `topics.dir`).
    public let topicsDir: String

    /// The folder of ktape's metadata, beside the topics dir.
    public static let metadataFolder = "_ktape"

    /// `prefix` and `topicsDir` joined: what every data key starts with.
    private let topicsRoot: String
    /// The bytes of `topicsRoot` and its slash; empty when there is no topics root.
    private let topicsRootBytes: [UInt8]

    public init(prefix: String = "", topicsDir: String = "topics") {
        self.prefix = KeyParts.trimSlashes(prefix)
        self.topicsDir = KeyParts.trimSlashes(topicsDir)
        topicsRoot = KeyParts.join(self.prefix, self.topicsDir)
        topicsRootBytes = topicsRoot.isEmpty ? [] : Array((topicsRoot + "/").utf8)
    }

    // MARK: data

    /// The store's own folder (ending in `/`), or "" for the bucket root: list it for everything.
    public var prefixFolder: String { prefix.isEmpty ? "" : prefix + "/" }

    /// Folder (ending in `/`) to list every topic's objects.
    public var topicsFolder: String { KeyParts.join(prefix, topicsDir) + "/" }

    /// Folder (ending in `/`) to list one topic's objects.
    public func topicFolder(_ topic: String) -> String { KeyParts.join(prefix, topicsDir, topic) + "/" }

    /// Folder (ending in `/`) to list one partition's objects.
    public func partitionFolder(topic: String, partition: Int32) -> String {
        ObjectKey.partitionFolder(topic: topic, partition: partition, prefix: prefix, topicsDir: topicsDir) + "/"
    }

    /// The full key of a data object.
    public func key(for object: ObjectKey) -> String { object.spelled(root: topicsRoot) }

    /// Whether `key` may hold records of one of `topics`: it lies in one's folder, or its file name
    /// begins `<topic>+` as data objects' names do. True for a key in no topic's folder.
    public func mayHoldRecords(of topics: Set<String>, key: String) -> Bool {
        guard key.hasPrefix(topicsFolder) else { return true }
        let rest = key.dropFirst(topicsFolder.count)
        guard let slash = rest.firstIndex(of: "/"), let lastSlash = rest.lastIndex(of: "/") else { return true }
        let file = rest[rest.index(after: lastSlash)...]
        return topics.contains(String(rest[..<slash])) || topics.contains { file.hasPrefix($0 + "+") }
    }

    /// Parses a full data key of this layout.
    public func objectKey(parsing key: String) throws -> ObjectKey {
        if let name = canonicalObjectKey(key) { return name }
        return try ObjectKey.parse(key, prefix: prefix, topicsDir: topicsDir)
    }

    /// The name of `key` when `key(for:)` spells exactly `key` for it (read from the bytes, in one
    /// pass); nil otherwise, though the key may still parse (`objectKey(parsing:)`).
    public func canonicalObjectKey(_ key: String) -> ObjectKey? {
        guard !topicsRootBytes.isEmpty else { return nil }
        return key.utf8.withContiguousStorageIfAvailable { ObjectKey.canonical($0, root: topicsRootBytes) } ?? nil
    }

    /// True when `canonicalObjectKey` names the key of these UTF-8 bytes.
    public func isCanonicalKey(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        !topicsRootBytes.isEmpty && ObjectKey.isCanonical(bytes, root: topicsRootBytes)
    }

    /// `relative` (a key as manifests hold it, relative to the store root) as a key of this store.
    public func absoluteKey(_ relative: String) -> String {
        // KeyParts.join(prefix, relative), without a new string for each of a million manifest keys
        // when there is no prefix to add.
        let trimmed = KeyParts.trimSlashes(relative)
        if prefix.isEmpty || trimmed.isEmpty { return prefix.isEmpty ? trimmed : prefix }
        return prefix + "/" + trimmed
    }

    /// A key of this store relative to its root, as manifests hold it, so a store copied under another
    /// prefix or into another bucket reads the same; nil for a key outside the prefix.
    public func relativeKey(_ key: String) -> String? {
        if prefix.isEmpty { return key }
        guard key.hasPrefix(prefix + "/") else { return nil }
        return String(key.dropFirst(prefix.count + 1))
    }

    // MARK: metadata

    /// Folder (ending in `/`) of all metadata.
    public var metadataFolder: String { KeyParts.join(prefix, Self.metadataFolder) + "/" }

    /// Folder (ending in `/`) of run manifests; list it to find every run.
    public var runsFolder: String { KeyParts.join(prefix, Self.metadataFolder, "runs") + "/" }

    /// The store as a user names it: `location` (an S3 store's is its bucket) with this prefix.
    public func storeName(at location: String) -> String {
        prefix.isEmpty ? location : (location.hasSuffix("/") ? location : location + "/") + prefix
    }

    /// `_ktape/runs/<runId>.json`.
    public func runManifestKey(_ run: RunID) -> String { runsFolder + run.rawValue + ".json" }

    /// The run id of a key under `runsFolder`, or nil for any other key.
    public func runID(fromKey key: String) -> RunID? {
        guard key.hasPrefix(runsFolder), key.hasSuffix(".json") else { return nil }
        let name = key.dropFirst(runsFolder.count).dropLast(".json".count)
        guard !name.isEmpty, !name.contains("/") else { return nil }
        return RunID(rawValue: String(name))
    }

    /// `_ktape/index.json`, the `StoreIndex` every backup run folds its manifest into.
    public var indexKey: String { metadataFolder + "index.json" }

    /// `_ktape/pruned.json`, the `PrunedState` prune keeps.
    public var prunedKey: String { metadataFolder + "pruned.json" }

    /// Folder (ending in `/`) of lock objects.
    public var locksFolder: String { KeyParts.join(prefix, Self.metadataFolder, "locks") + "/" }

    /// `_ktape/locks/store.json`, the `LeaseTable` of every run that writes into the store (backup, prune).
    public var storeLockKey: String { locksFolder + "store.json" }

    /// `_ktape/locks/conditional-writes-probe`, written to prove the store refuses the conditional
    /// writes it must refuse before a backup's or prune's lease is taken (`ObjectStore.checkConditionalWrites`).
    public var conditionalWriteProbeKey: String { locksFolder + "conditional-writes-probe" }

    /// The same for a restore, under the folder it writes anyway (a policy may allow it no other).
    public var restoreConditionalWriteProbeKey: String { restoreFolder + "conditional-writes-probe" }

    /// Whether `key` is metadata that backups and prunes write (the index, locks, the pruned state,
    /// manifests): under `_ktape/`, but not a restore's state (a restore keeps it in the store it
    /// reads, a Confluent sink's bucket too), the conditional-write probe (written before a lease) or a
    /// folder marker (the S3 console's "Create folder" makes `_ktape/` one).
    public func isBackupMetadataKey(_ key: String) -> Bool {
        key.hasPrefix(metadataFolder) && !key.hasPrefix(restoreFolder) && key != conditionalWriteProbeKey
            && !key.hasSuffix("/")
    }

    /// `_ktape/locks/<job>.json`, a job's lock as ktape wrote it before the store lock (`JobLock`).
    public func lockKey(job: String) -> String {
        locksFolder + KeySafe.text(job) + ".json"
    }

    /// The name restore keys a target cluster's lease and resume state by: `cluster-<id>`, so every
    /// bootstrap list reaching the cluster finds the same ones.
    public static func restoreTargetName(clusterId: String) -> String {
        "cluster-" + KeySafe.text(clusterId)
    }

    /// Folder (ending in `/`) of every restore's resume state and leases.
    public var restoreFolder: String { KeyParts.join(prefix, Self.metadataFolder, "restore") + "/" }

    /// Folder (ending in `/`) of restore resume state for a target cluster (its name made key-safe).
    public func restoreStateFolder(targetCluster: String) -> String {
        restoreFolder + KeySafe.text(targetCluster) + "/"
    }

    /// `_ktape/restore/<targetCluster>.lock.json`, the `LeaseTable` of the restores into a target
    /// cluster, beside its state folder (a name inside it could be a topic's).
    public func restoreLockKey(targetCluster: String) -> String {
        restoreFolder + KeySafe.text(targetCluster) + ".lock.json"
    }

    /// `_ktape/restore/<targetCluster>/<topic>.json`, a target topic's `RestoreProgress`.
    public func restoreStateKey(targetCluster: String, topic: String) -> String {
        restoreStateFolder(targetCluster: targetCluster) + "\(topic).json"
    }

    /// Whether `key` is a target topic's resume state document (`restoreStateKey`) of any target
    /// cluster: not a lease table, a probe or a version 1 document.
    public func isRestoreStateDocument(_ key: String) -> Bool {
        guard key.hasPrefix(restoreFolder) else { return false }
        let rest = key.dropFirst(restoreFolder.count)
        guard let slash = rest.firstIndex(of: "/") else { return false }
        let cluster = String(rest[..<slash])
        guard !cluster.isEmpty, let owner = restoreStateOwner(key: key, folder: restoreFolder + cluster + "/") else { return false }
        return owner.partition == nil
    }

    /// `_ktape/restore/<targetCluster>/<topic>+<partition>.json`, one partition's state as ktape
    /// wrote it before `RestoreProgress` version 2 (no Kafka topic name contains `+`).
    public func restoreStateVersion1Key(targetCluster: String, topic: String, partition: Int32) -> String {
        restoreStateFolder(targetCluster: targetCluster) + Self.version1StateName(topic: topic, partition: partition)
    }

    private static func version1StateName(topic: String, partition: Int32) -> String { "\(topic)+\(partition).json" }

    /// The target topic a key in the restore state folder belongs to, and its partition for a
    /// version 1 key; nil for a key that is neither.
    public func restoreStateOwner(key: String, targetCluster: String) -> (topic: String, partition: Int32?)? {
        restoreStateOwner(key: key, folder: restoreStateFolder(targetCluster: targetCluster))
    }

    private func restoreStateOwner(key: String, folder: String) -> (topic: String, partition: Int32?)? {
        guard key.hasPrefix(folder), key.hasSuffix(".json") else { return nil }
        let name = key.dropFirst(folder.count).dropLast(".json".count)
        guard !name.isEmpty, !name.contains("/") else { return nil }
        guard let plus = name.lastIndex(of: "+") else { return (String(name), nil) }
        let topic = name[..<plus]
        let digits = name[name.index(after: plus)...]
        guard !topic.isEmpty, !digits.isEmpty, digits.allSatisfy(\.isASCII), let partition = Int32(digits), partition >= 0,
            folder + Self.version1StateName(topic: String(topic), partition: partition) == key
        else { return nil }
        return (String(topic), partition)
    }
}
