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

        /// `rootLength`: the UTF-8 length of the topics folder (with its slash) at the start of `key`;
        /// the folders are what lies between it and the file name.
        init(key: String, object: ObjectKey, rootLength: Int) {
            self.key = key
            self.object = object
            companionKeys = []
            let utf8 = key.utf8
            let lastSlash = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.distance(from: utf8.startIndex, to: $0) } ?? -1
            fileStart = max(rootLength, lastSlash + 1)
            folderStart = min(rootLength, fileStart)
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

    /// Where a companion sits: its folder and the data object it belongs to.
    private struct Place: Hashable {
        var folder: String
        var object: ObjectKey
    }

    /// Sorts `keys` (full keys as listed) under `layout`, in any layout Confluent's sink writes (see
    /// `ListedObjectKey`); keys outside the topics dir, and folder markers (keys ending in `/`, as the
    /// S3 console's "Create folder" leaves), are ignored. With `rejectedOnly` only `rejected`
    /// is filled: a store with manifests takes its objects from them, and a million entries sorted
    /// into partitions would be held for nothing.
    public init(keys: some Sequence<String>, layout: StoreLayout, rejectedOnly: Bool = false) {
        var data: [TopicPartition: [Entry]] = [:]
        var companions: [Place: [String]] = [:]
        // One copy of each topic name, shared by its entries.
        var topicNames: [String: String] = [:]
        let root = layout.topicsFolder
        for key in keys where key.hasPrefix(root) && !key.hasSuffix("/") {
            do {
                // Measured in the key itself: hasPrefix matched `root` up to Unicode equivalence.
                let rest = key.dropFirst(root.count)
                let rootLength = key.utf8.count - rest.utf8.count
                // ktape's own `<topic>/partition=<p>/<file>` straight from the bytes; any other
                // sink layout through the listed-key parser.
                var object = try ObjectKey.fastParseFolders(rest) ?? layout.listedKey(parsing: key).object
                if rejectedOnly { continue }
                if let shared = topicNames[object.topic] {
                    object.topic = shared
                } else {
                    topicNames[object.topic] = object.topic
                }
                let entry = Entry(key: key, object: object, rootLength: rootLength)
                switch object.kind.content {
                case .values, .envelope:
                    data[TopicPartition(object.topic, object.partition), default: []].append(entry)
                case .keys, .headers:
                    let data = object.with(kind: ObjectFileKind(.values, object.kind.compression))
                    companions[Place(folder: entry.folder, object: data), default: []].append(key)
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
                if !companions.isEmpty, let found = companions.removeValue(forKey: Place(folder: entry.folder, object: entry.object)) {
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
