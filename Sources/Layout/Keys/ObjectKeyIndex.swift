import Foundation

/// A bucket listing sorted into partitions: for stores without manifests (a Confluent sink's
/// bucket) and for `ls`/`verify` to find objects no manifest names.
public struct ObjectKeyIndex: Sendable {
    /// A data object and the companions found beside it.
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var object: ObjectKey
        /// Companion keys (`.keys.json`, `.headers.json`) with the same start offset.
        public var companionKeys: [String]
    }

    /// Data objects per partition, sorted by start offset.
    public private(set) var partitions: [TopicPartition: [Entry]] = [:]
    /// Keys under the topics dir that are not in ktape's layout, with the reason.
    public private(set) var rejected: [ObjectKeyError] = []
    /// Companions with no data object beside them.
    public private(set) var orphanCompanions: [String] = []

    /// Sorts `keys` (full keys as listed) under `layout`; keys outside the topics dir are ignored.
    public init(keys: [String], layout: StoreLayout) {
        var data: [TopicPartition: [Entry]] = [:]
        var companions: [ObjectKey: [String]] = [:]
        for key in keys where key.hasPrefix(layout.topicsFolder) {
            do {
                let object = try layout.objectKey(parsing: key)
                switch object.kind.content {
                case .values, .envelope:
                    data[TopicPartition(object.topic, object.partition), default: []]
                        .append(Entry(key: key, object: object, companionKeys: []))
                case .keys, .headers:
                    companions[object.with(kind: ObjectFileKind(.values, object.kind.compression)), default: []].append(key)
                }
            } catch let error as ObjectKeyError {
                rejected.append(error)
            } catch {
                rejected.append(ObjectKeyError(key: key, reason: "\(error)"))
            }
        }
        for (tp, entries) in data {
            partitions[tp] = entries.map { entry in
                var entry = entry
                if let found = companions.removeValue(forKey: entry.object) { entry.companionKeys = found.sorted() }
                return entry
            }.sorted { ($0.object.startOffset, $0.key) < ($1.object.startOffset, $1.key) }
        }
        orphanCompanions = companions.values.flatMap { $0 }.sorted()
        rejected.sort { $0.key < $1.key }
    }

    /// Topics found, sorted.
    public var topics: [String] { Set(partitions.keys.map(\.topic)).sorted() }

    /// A topic's partitions found, sorted.
    public func partitions(of topic: String) -> [Int32] {
        partitions.keys.filter { $0.topic == topic }.map(\.partition).sorted()
    }

    /// Entries of one partition, sorted by start offset; empty when none.
    public func entries(topic: String, partition: Int32) -> [Entry] {
        partitions[TopicPartition(topic, partition)] ?? []
    }
}
