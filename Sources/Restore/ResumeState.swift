import Foundation
import Layout
import ObjectStore

/// Resume state of one target partition. A superset of Layout's `RestoreProgress` (same format name,
/// same fields, so `RestoreProgress.decode` reads it) with what resuming without duplicates needs:
/// where the target partition ended when this restore began, and how many records were confirmed.
struct RestoreResumeState: Codable, Equatable, Sendable {
    var format: String = RestoreProgress.formatName
    var version: Int = RestoreProgress.currentVersion
    var sourceTopic: String
    var targetTopic: String
    var partition: Int32
    /// Source offset after the last confirmed record (every restored record before it is delivered).
    var nextSourceOffset: Int64
    var configHash: String
    var updatedAt: Date
    /// The target partition's end offset before this restore produced anything into it; the
    /// restore's records are the target's records from here on, in source order.
    var baseTargetOffset: Int64
    /// Records confirmed by delivery reports, counted from `baseTargetOffset`.
    var deliveredRecords: Int64
    /// Restorable records in the plan (after filters); equal to `deliveredRecords` when finished.
    var plannedRecords: Int64?

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.rfc3339(date))
        }
        return try encoder.encode(self)
    }

    static func decode(_ data: Data, name: String) throws -> RestoreResumeState {
        // The header check (format, version) is Layout's; it throws a `ManifestError` naming `name`.
        _ = try RestoreProgress.decode(data, name: name)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return Timestamps.parseRFC3339(text) ?? Date(timeIntervalSince1970: 0)
        }
        do {
            return try decoder.decode(RestoreResumeState.self, from: data)
        } catch {
            throw ManifestError(manifest: name, reason: "restore state without baseTargetOffset/deliveredRecords (\(error))")
        }
    }
}

/// Where resume state lives: `_ktape/restore/<target cluster>/` in the store, or `--state-dir`.
struct ResumeStateStore: Sendable {
    let store: any ObjectStore
    let layout: StoreLayout
    let targetCluster: String
    /// True when the state lives in a local directory rather than the backup store.
    let isLocal: Bool

    init(options: RestoreOptions, store: any ObjectStore, layout: StoreLayout) throws {
        targetCluster = options.targetCluster
        if let directory = options.stateDirectory {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                self.store = try LocalDirectoryStore(root: directory)
            } catch {
                throw RestoreError.invalidInput("--state-dir \(directory): \(error)")
            }
            self.layout = StoreLayout(prefix: "", topicsDir: layout.topicsDir)
            isLocal = true
        } else {
            self.store = store
            self.layout = layout
            isLocal = false
        }
    }

    func key(_ target: TopicPartition) -> String {
        layout.restoreStateKey(targetCluster: targetCluster, topic: target.topic, partition: target.partition)
    }

    func load(_ target: TopicPartition) async throws -> RestoreResumeState? {
        let key = key(target)
        let data: [UInt8]
        do {
            data = try await store.get(key)
        } catch let error as StoreError where error.isNotFound {
            return nil
        } catch {
            throw RestoreError.failure("restore state \(key): \(error)")
        }
        do {
            return try RestoreResumeState.decode(Data(data), name: key)
        } catch {
            throw RestoreError.invalidInput("\(error); remove it to restore \(target) from the start")
        }
    }

    func save(_ state: RestoreResumeState) async throws {
        let key = key(TopicPartition(state.targetTopic, state.partition))
        do {
            try await store.put(key, body: Array(try state.encoded()))
        } catch {
            throw RestoreError.failure("cannot write restore state \(key): \(error)\(isLocal ? "" : " (for a read-only store use --state-dir)")")
        }
    }
}
