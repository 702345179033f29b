import Foundation

/// A bucket listing sorted into partitions: for stores without manifests (a Confluent sink's
/// bucket, in any of its partitioners' layouts) and for `ls`/`verify` to find objects no manifest names.
public struct ObjectKeyIndex: Sendable {
    /// A data object and the companions found beside it.
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var object: ObjectKey
        /// Companion keys (`.keys.json`, `.headers.json`) in the same folder with the same start offset.
        public var companionKeys: [String]
        /// Where the folders and the file name start in `key` (UTF-8 offsets): kept as offsets, not
        /// strings of their own, as a listing of a million objects is held in memory.
        private var folderStart: Int
        private var fileStart: Int

        init(key: String, listed: ListedObjectKey) {
            self.key = key
            object = listed.object
            companionKeys = []
            fileStart = key.utf8.count - listed.fileName.utf8.count
            folderStart = listed.folder.isEmpty ? fileStart : fileStart - 1 - listed.folder.utf8.count
        }

        /// The folders between the topics dir and the file (the partitioner's).
        public var folder: String {
            guard fileStart > folderStart else { return "" }
            let utf8 = key.utf8
            return String(
                Substring(utf8[utf8.index(utf8.startIndex, offsetBy: folderStart)..<utf8.index(utf8.startIndex, offsetBy: fileStart - 1)]))
        }

        /// The file name as stored.
        public var fileName: String {
            let utf8 = key.utf8
            return String(Substring(utf8[utf8.index(utf8.startIndex, offsetBy: fileStart)...]))
        }

        public var listed: ListedObjectKey { ListedObjectKey(object: object, folder: folder, fileName: fileName) }
    }

    /// Data objects per partition, sorted by start offset whatever their folders.
    public private(set) var partitions: [TopicPartition: [Entry]] = [:]
    /// Keys under the topics dir that are not data objects of any sink layout, with the reason.
    public private(set) var rejected: [ObjectKeyError] = []
    /// Companions with no data object beside them.
    public private(set) var orphanCompanions: [String] = []

    /// Sorts `keys` (full keys as listed) under `layout`, in any layout Confluent's sink writes (see
    /// `ListedObjectKey`); keys outside the topics dir are ignored.
    public init(keys: [String], layout: StoreLayout) {
        struct Place: Hashable {
            var folder: String
            var object: ObjectKey
        }
        var data: [TopicPartition: [Entry]] = [:]
        var companions: [Place: [String]] = [:]
        // One copy of each topic name, shared by its entries.
        var topicNames: [String: String] = [:]
        for key in keys where key.hasPrefix(layout.topicsFolder) {
            do {
                var listed = try layout.listedKey(parsing: key)
                if let shared = topicNames[listed.object.topic] {
                    listed.object.topic = shared
                } else {
                    topicNames[listed.object.topic] = listed.object.topic
                }
                let object = listed.object
                switch object.kind.content {
                case .values, .envelope:
                    data[TopicPartition(object.topic, object.partition), default: []].append(Entry(key: key, listed: listed))
                case .keys, .headers:
                    let data = object.with(kind: ObjectFileKind(.values, object.kind.compression))
                    companions[Place(folder: listed.folder, object: data), default: []].append(key)
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
                if let found = companions.removeValue(forKey: Place(folder: entry.folder, object: entry.object)) {
                    entry.companionKeys = found.sorted()
                }
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
