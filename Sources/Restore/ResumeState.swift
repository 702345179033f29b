import Failures
import Foundation
import Layout
import ObjectStore

/// Resume state of one target partition (Layout's format; one document per target topic).
typealias RestoreResumeState = RestoreProgress.Partition

/// The saved states of a restore's target topics.
struct SavedStates: Sendable {
    var partitions: [TopicPartition: RestoreResumeState] = [:]
    /// Version 1 documents (one per partition) found for each topic, removed once its document is written.
    var version1Keys: [String: [String]] = [:]
    /// Topics whose state was read from the bootstrap-named folder (the document's key there): their
    /// document is written under the cluster's id at once. The old one is left for older versions.
    var legacyKeys: [String: String] = [:]
}

/// Where resume state lives: one document per target topic in `_ktape/restore/cluster-<id>/` of
/// the store, or in `--state-dir`; `_ktape/restore/<bootstrap list>/` for a cluster without an id.
struct ResumeStateStore: Sendable {
    let store: any ObjectStore
    let layout: StoreLayout
    /// The lease's and state folder's name: the cluster's id, else its bootstrap list.
    let targetCluster: String
    /// The bootstrap-named folder state was kept in before cluster ids, read for topics with none
    /// under the id; nil when the name is the bootstrap list.
    let legacyCluster: String?
    /// True when the state lives in a local directory rather than the backup store.
    let isLocal: Bool
    let clock: @Sendable () -> Date

    /// `clusterId` is the target's (`KafkaAdmin.clusterId`), nil when it reports none.
    init(options: RestoreOptions, clusterId: String?, store: any ObjectStore, layout: StoreLayout) throws {
        targetCluster = clusterId.map(StoreLayout.restoreTargetName(clusterId:)) ?? options.bootstrapName
        legacyCluster = clusterId == nil ? nil : options.bootstrapName
        clock = options.clock
        if let directory = options.stateDirectory {
            if let problem = Self.makeDirectories(directory) { throw RunFailure.invalidInput("--state-dir \(directory): \(problem)") }
            do { self.store = try LocalDirectoryStore(root: directory) } catch {
                throw RunFailure.invalidInput("--state-dir \(directory): \(error)")
            }
            self.layout = StoreLayout(prefix: "", topicsDir: layout.topicsDir)
            isLocal = true
        } else {
            self.store = store
            self.layout = layout
            isLocal = false
        }
    }

    /// `mkdir -p`; what went wrong in plain words, nil when `path` is a directory. Not FileManager:
    /// its errors on Linux print as "Error Domain=NSCocoaErrorDomain Code=516 … UserInfo={…}".
    static func makeDirectories(_ path: String) -> String? {
        if mkdir(path, 0o777) == 0 { return nil }
        let code = errno
        var info = stat()
        if code == EEXIST {
            return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR ? nil : "\(path) is a file, not a directory"
        }
        let parent = (path as NSString).deletingLastPathComponent
        if code == ENOENT || code == ENOTDIR, !parent.isEmpty, parent != path {
            if let problem = makeDirectories(parent) { return problem }
            if mkdir(path, 0o777) == 0 || errno == EEXIST && stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return nil }
        }
        return "cannot create \(path): \(String(cString: strerror(errno == 0 ? code : errno)))"
    }

    func key(_ topic: String) -> String {
        layout.restoreStateKey(targetCluster: targetCluster, topic: topic)
    }

    /// The document `topic`'s state was read from: its legacy one until it is written under the id.
    func key(_ topic: String, readFrom saved: SavedStates) -> String {
        saved.legacyKeys[topic] ?? key(topic)
    }

    /// How to restore `target` from the start without writing its records twice; a sentence. `saved`
    /// names a legacy document not yet replaced.
    func removalHint(_ target: TopicPartition, readFrom saved: SavedStates? = nil) -> String {
        let document = saved.map { key(target.topic, readFrom: $0) } ?? key(target.topic)
        return
            "To restore it again, delete and re-create \(target.topic) in the target (what it holds would be written twice), then remove partition \(target.partition)'s entry from \(document) (or the file, for all of \(target.topic))"
    }

    /// For the partitions of `away` (emptied by a prune): a problem for each whose restore the prune
    /// cut off (`HeldRecords.lostWhole`), and the state of each that a restore with these settings
    /// had restored records into before the prune (a group offset among them is placed by it).
    /// `ends` reads target partitions' end offsets: a cut-off partition's target holding records its
    /// state did not confirm is told apart.
    func prunedAway(
        _ away: [PrunedAway], options: RestoreOptions,
        ends: @escaping @Sendable ([TopicPartition]) throws -> [TopicPartition: Int64]
    ) async throws -> (lost: [String], restored: [TopicPartition: RestoreResumeState]) {
        guard !away.isEmpty else { return ([], [:]) }
        let saved = try await load(topics: Set(away.map(\.target.topic)))
        let cut = away.filter { away in saved.partitions[away.target].map { HeldRecords.isCutOff(away, state: $0) } ?? false }.map(\.target)
        // Unknown (a target gone, which the deleted-target check names) reads as holding nothing unconfirmed.
        let targetEnds = cut.isEmpty ? [:] : ((try? await options.onTarget { try ends(cut) }) ?? [:])
        var lost: [String] = []
        var restored: [TopicPartition: RestoreResumeState] = [:]
        for away in away {
            guard let state = saved.partitions[away.target] else { continue }
            if let problem = HeldRecords.lostWhole(
                away, state: state, targetEnd: targetEnds[away.target], stateDocument: key(away.target.topic, readFrom: saved))
            {
                lost.append(problem)
            } else if state.deliveredRecords > 0, RestoreDestinations.sameSettings(state, away: away, options: options) {
                restored[away.target] = state
            }
        }
        return (lost, restored)
    }

    /// Every state saved for `topics`; a topic with none under the cluster's id is read from the
    /// bootstrap-named folder of versions before cluster ids.
    func load(topics: Set<String>) async throws -> SavedStates {
        var (saved, found) = try await load(topics: topics, cluster: targetCluster)
        guard let legacyCluster, !topics.subtracting(found).isEmpty else { return saved }
        let (legacy, moved) = try await load(topics: topics.subtracting(found), cluster: legacyCluster)
        saved.partitions.merge(legacy.partitions) { current, _ in current }
        // That folder is only read (an older ktape may still use it): its version 1 documents stay.
        for topic in moved { saved.legacyKeys[topic] = layout.restoreStateKey(targetCluster: legacyCluster, topic: topic) }
        return saved
    }

    /// The states of `topics` in `cluster`'s folder, and the topics it holds any for: one listing of
    /// the folder, then their documents; a topic without a document is read from the version 1
    /// documents of its partitions, if any.
    private func load(topics: Set<String>, cluster targetCluster: String) async throws -> (SavedStates, found: Set<String>) {
        let folder = layout.restoreStateFolder(targetCluster: targetCluster)
        let keys: [String]
        do {
            keys = try await store.listAll(prefix: folder).map(\.key)
        } catch {
            throw RunFailure.wrap(error, "restore state \(folder)")
        }
        typealias Owned = (key: String, topic: String, isVersion1: Bool)
        var documents: [Owned] = []
        var version1: [String: [Owned]] = [:]
        for key in keys {
            guard let owner = layout.restoreStateOwner(key: key, targetCluster: targetCluster), topics.contains(owner.topic) else {
                continue
            }
            let owned = (key, owner.topic, owner.partition != nil)
            if owned.2 { version1[owner.topic, default: []].append(owned) } else { documents.append(owned) }
        }
        let documented = Set(documents.map(\.topic))
        let toRead = documents + version1.filter { !documented.contains($0.key) }.values.flatMap { $0 }
        let store = self.store
        let read = try await mapConcurrently(toRead, limit: ResumeStateWriter.storeConcurrency) { owned -> (Owned, [UInt8]?) in
            do {
                return (owned, try await store.get(owned.key))
            } catch let error as StoreError where error.isNotFound {
                return (owned, nil)
            } catch {
                throw RunFailure.wrap(error, "restore state \(owned.key)")
            }
        }
        var saved = SavedStates()
        for (owner, data) in read {
            guard let data else { continue }
            let key = owner.key
            do {
                if !owner.isVersion1 {
                    let progress = try RestoreProgress.decode(Data(data), name: key)
                    for state in progress.partitions { saved.partitions[TopicPartition(owner.topic, state.partition)] = state }
                } else {
                    let old = try RestoreProgress.decodeVersion1(Data(data), name: key)
                    saved.partitions[TopicPartition(owner.topic, old.state.partition)] = old.state
                }
            } catch {
                throw RunFailure.invalidInput(
                    "\(error); to restore \(owner.topic) from the start, delete and re-create it in the target (what it holds would be written twice), then remove this file"
                )
            }
        }
        // Those of topics with a document are stale (left by a run killed before it removed them).
        saved.version1Keys = version1.mapValues { $0.map(\.key) }
        return (saved, Set(documents.map(\.topic)).union(version1.keys))
    }

    func save(topic: String, _ states: [RestoreResumeState]) async throws {
        let key = key(topic)
        do {
            let document = RestoreProgress(targetTopic: topic, updatedAt: clock(), partitions: states)
            try await store.put(key, body: Array(try document.encoded()))
        } catch {
            var failure = RunFailure.wrap(error, "cannot write restore state \(key)")
            if !isLocal { failure.message += " (for a read-only store use --state-dir)" }
            throw failure
        }
    }

    /// Removes version 1 documents once their topic's document holds their states.
    func removeVersion1(_ keys: [String]) async throws {
        guard !keys.isEmpty else { return }
        do {
            try await store.delete(keys: keys)
        } catch {
            throw RunFailure.wrap(error, "cannot remove old restore state \(keys[0])")
        }
    }
}
