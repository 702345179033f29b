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
}

/// Where resume state lives: one document per target topic in `_ktape/restore/<target cluster>/`
/// of the store, or in `--state-dir`.
struct ResumeStateStore: Sendable {
    let store: any ObjectStore
    let layout: StoreLayout
    let targetCluster: String
    /// True when the state lives in a local directory rather than the backup store.
    let isLocal: Bool
    let clock: @Sendable () -> Date

    init(options: RestoreOptions, store: any ObjectStore, layout: StoreLayout) throws {
        targetCluster = options.targetCluster
        clock = options.clock
        if let directory = options.stateDirectory {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                self.store = try LocalDirectoryStore(root: directory)
            } catch {
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

    func key(_ topic: String) -> String {
        layout.restoreStateKey(targetCluster: targetCluster, topic: topic)
    }

    /// What to remove to restore `target` from the start; a sentence.
    func removalHint(_ target: TopicPartition) -> String {
        "To restore it again, remove partition \(target.partition)'s entry from \(key(target.topic)) (or the file, to restore all of \(target.topic) again)"
    }

    /// Every state saved for `topics`: one listing of the state folder, then their documents; a
    /// topic without a document is read from the version 1 documents of its partitions, if any.
    func load(topics: Set<String>) async throws -> SavedStates {
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
                throw RunFailure.invalidInput("\(error); remove it to restore \(owner.topic) from the start")
            }
        }
        // Those of topics with a document are stale (left by a run killed before it removed them).
        saved.version1Keys = version1.mapValues { $0.map(\.key) }
        return saved
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
