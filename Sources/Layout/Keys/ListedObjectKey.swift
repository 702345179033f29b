import Foundation

/// A data object found by listing a store, in any layout Confluent's S3 sink writes. The file name
/// `<topic>+<p>+<startOffset>.<ext>` names the object whatever the folders above it, and its offset
/// may be zero-padded to any width (`filename.offset.zero.pad.width`). The folders between the topics
/// dir and the file are the partitioner's: `<topic>/partition=<p>` (DefaultPartitioner),
/// `<topic>/year=2026/month=11/day=24/hour=13` (TimeBasedPartitioner, any `path.format`),
/// `<topic>/<field>=<value>` (FieldPartitioner).
public struct ListedObjectKey: Hashable, Sendable {
    public var object: ObjectKey
    /// The folders between the topics dir and the file, without surrounding slashes.
    public var folder: String
    /// The file name as stored: what `topic.regex.list` regexes match.
    public var fileName: String

    /// An object of ktape's own layout (DefaultPartitioner folders, ten-digit offsets).
    public init(defaultLayout object: ObjectKey) {
        self.object = object
        folder = "\(object.topic)/partition=\(object.partition)"
        fileName = object.fileName
    }

    init(object: ObjectKey, folder: String, fileName: String) {
        self.object = object
        self.folder = folder
        self.fileName = fileName
    }
}

extension ObjectKey {
    /// Parses a listed key in any sink layout. The folders are free, except that DefaultPartitioner's
    /// `<topic>/partition=<p>` must agree with the file name, and so must any `partition=<p>` folder.
    public static func parseListed(_ key: String, prefix: String, topicsDir: String) throws -> ListedObjectKey {
        let root = KeyParts.join(prefix, topicsDir) + "/"
        guard key.hasPrefix(root) else {
            throw ObjectKeyError(key: key, reason: "not under '\(root)'")
        }
        // Substrings of the key, not strings of their own: a listing can hold a million keys.
        // Dropped by characters, as hasPrefix matched: up to Unicode equivalence.
        let rest = key.dropFirst(root.count)
        let file: String
        let folderText: Substring
        let folders: [Substring]
        if let slash = rest.utf8.lastIndex(of: UInt8(ascii: "/")) {
            folderText = rest[..<slash]
            file = String(rest[rest.index(after: slash)...])
            folders = folderText.split(separator: "/", omittingEmptySubsequences: false)
        } else {
            folderText = ""
            file = String(rest)
            folders = []
        }
        if folders.contains(where: \.isEmpty) {
            throw ObjectKeyError(key: key, reason: "has an empty folder name")
        }
        let parsed: ObjectKey
        do {
            parsed = try parseFileName(file, anyPadding: true)
        } catch let error as ObjectKeyError {
            throw ObjectKeyError(key: key, reason: error.reason)
        }
        for folder in folders where folder.hasPrefix("partition=") {
            let folderPartition = try parsePartition(String(folder.dropFirst("partition=".count)), key: key)
            guard folderPartition == parsed.partition else {
                throw ObjectKeyError(
                    key: key, reason: "folder partition \(folderPartition) and file partition \(parsed.partition) disagree")
            }
        }
        if folders.count == 2, folders[1].hasPrefix("partition="), folders[0] != parsed.topic {
            throw ObjectKeyError(key: key, reason: "folder topic '\(folders[0])' and file topic '\(parsed.topic)' disagree")
        }
        return ListedObjectKey(object: parsed, folder: String(folderText), fileName: file)
    }
}

extension StoreLayout {
    /// Parses a listed key of this store in any sink layout (see `ListedObjectKey`).
    public func listedKey(parsing key: String) throws -> ListedObjectKey {
        try ObjectKey.parseListed(key, prefix: prefix, topicsDir: topicsDir)
    }
}

extension StoreLayout {
    /// The folder, relative to this store's prefix, that is a ktape store of its own when `key` is a
    /// run manifest of it (`<folder>/_ktape/runs/<run id>.json`); nil otherwise.
    public func storeFolder(suggestedBy key: String) -> String? {
        guard let relative = relativeKey(key) else { return nil }
        guard let range = relative.range(of: "/" + Self.metadataFolder + "/runs/") else { return nil }
        let folder = String(relative[..<range.lowerBound])
        let inner = StoreLayout(prefix: "", topicsDir: topicsDir)
        return inner.runID(fromKey: String(relative[relative.index(after: range.lowerBound)...])) == nil ? nil : folder
    }

    /// The topics dir under which `key` would be a data object (the folders above its topic's folder),
    /// when it is not one of this layout's: a hint for a store listed with the wrong `--topics-dir`.
    public func topicsDir(suggestedBy key: String) -> String? {
        guard let dir = dataObjectTopicsDir(key), !dir.isEmpty, dir != topicsDir else { return nil }
        return dir
    }

    /// Whether `key` is a data object under any topics dir of this store's prefix (this layout's,
    /// another, or the prefix itself): a file named `<topic>+<p>+<offset>.<ext>` below a folder of
    /// its topic, as Confluent's sink (whatever its `topics.dir` and format: Avro, Parquet too) and
    /// ktape name them.
    public func isDataObjectInAnyTopicsDir(_ key: String) -> Bool { dataObjectTopicsDir(key, anyExtension: true) != nil }

    /// The folders, relative to the prefix, above the topic folder of `key` when it is a data object
    /// ("" when the topic folder is right under the prefix); nil for any other key. Without
    /// `anyExtension`, only the formats ktape reads count.
    private func dataObjectTopicsDir(_ key: String, anyExtension: Bool = false) -> String? {
        guard let relative = relativeKey(key) else { return nil }
        var folders = relative.split(separator: "/").map(String.init)
        guard folders.first != StoreLayout.metadataFolder, let file = folders.popLast(),
            let topic = anyExtension ? Self.topic(ofDataFileName: file) : (try? ObjectKey.parseFileName(file, anyPadding: true))?.topic,
            let topicFolder = folders.lastIndex(of: topic)
        else { return nil }
        return folders[..<topicFolder].joined(separator: "/")
    }

    /// The topic of a file named `<topic>+<partition>+<offset>.<ext>`, any extension; nil for
    /// another name. Kafka topic names hold no `+`.
    private static func topic(ofDataFileName file: String) -> String? {
        let parts = file.split(separator: "+", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let dot = parts[2].firstIndex(of: ".") else { return nil }
        let offset = parts[2][..<dot]
        let digits = { (text: Substring) in !text.isEmpty && text.allSatisfy { ("0"..."9").contains($0) } }
        guard digits(parts[1]), digits(offset), parts[2].index(after: dot) < parts[2].endIndex else { return nil }
        return String(parts[0])
    }
}
