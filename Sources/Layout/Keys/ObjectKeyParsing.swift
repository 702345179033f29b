import Foundation

extension ObjectKey {
    /// Parses a full key; the folders must agree with the file name.
    public static func parse(_ key: String, prefix: String, topicsDir: String) throws -> ObjectKey {
        let root = KeyParts.join(prefix, topicsDir) + "/"
        guard key.hasPrefix(root) else {
            throw ObjectKeyError(key: key, reason: "not under '\(root)'")
        }
        if let parsed = fastParseFolders(key.dropFirst(root.count)) { return parsed }
        return try checkedParse(key, root: root)
    }

    /// `parse` without the fast path: every rule checked one by one, naming the one that fails.
    static func checkedParse(_ key: String, root: String) throws -> ObjectKey {
        let folders = key.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false)
        guard folders.count == 3 else {
            throw ObjectKeyError(
                key: key, reason: "expected <topic>/partition=<p>/<file> under '\(root)', found \(folders.count) path parts")
        }
        let (topicFolder, partitionFolder, file) = (String(folders[0]), String(folders[1]), String(folders[2]))
        guard partitionFolder.hasPrefix("partition=") else {
            throw ObjectKeyError(key: key, reason: "folder '\(partitionFolder)' is not partition=<p>")
        }
        let folderPartition = try parsePartition(String(partitionFolder.dropFirst("partition=".count)), key: key)
        let parsed: ObjectKey
        do {
            parsed = try checkedParseFileName(file, anyPadding: false)
        } catch let error as ObjectKeyError {
            throw ObjectKeyError(key: key, reason: error.reason)
        }
        guard parsed.topic == topicFolder else {
            throw ObjectKeyError(key: key, reason: "folder topic '\(topicFolder)' and file topic '\(parsed.topic)' disagree")
        }
        guard parsed.partition == folderPartition else {
            throw ObjectKeyError(key: key, reason: "folder partition \(folderPartition) and file partition \(parsed.partition) disagree")
        }
        return parsed
    }

    /// Parses a bare file name `<topic>+<p>+<offset>.<ext>`, from the right so the topic is what remains.
    /// The offset must be padded as ktape writes it (`%010d`).
    public static func parseFileName(_ name: String) throws -> ObjectKey {
        try parseFileName(name, anyPadding: false)
    }

    /// `anyPadding`: the offset may be zero-padded to any width (Confluent's `filename.offset.zero.pad.width`).
    static func parseFileName(_ name: String, anyPadding: Bool) throws -> ObjectKey {
        if let parsed = name.utf8.withContiguousStorageIfAvailable({ fastParseFileName($0, anyPadding: anyPadding) }) ?? nil {
            return parsed
        }
        return try checkedParseFileName(name, anyPadding: anyPadding)
    }

    /// `parseFileName` without the fast path.
    static func checkedParseFileName(_ name: String, anyPadding: Bool) throws -> ObjectKey {
        guard let lastPlus = name.lastIndex(of: "+") else {
            throw ObjectKeyError(key: name, reason: "file name is not <topic>+<partition>+<offset>.<ext>")
        }
        let head = name[..<lastPlus]
        let tail = name[name.index(after: lastPlus)...]
        guard let secondPlus = head.lastIndex(of: "+") else {
            throw ObjectKeyError(key: name, reason: "file name is not <topic>+<partition>+<offset>.<ext>")
        }
        let topic = String(head[..<secondPlus])
        let partitionText = String(head[head.index(after: secondPlus)...])
        guard let dot = tail.firstIndex(of: ".") else {
            throw ObjectKeyError(key: name, reason: "file name has no extension")
        }
        let offsetText = String(tail[..<dot])
        let ext = String(tail[tail.index(after: dot)...])
        if let problem = TopicName.problem(with: topic) { throw ObjectKeyError(key: name, reason: problem) }
        let partition = try parsePartition(partitionText, key: name)
        let offset = try parseOffset(offsetText, key: name, anyPadding: anyPadding)
        guard let kind = ObjectFileKind(fileExtension: ext) else {
            let known = ObjectFileKind.all.map { "." + $0.fileExtension }.joined(separator: " ")
            throw ObjectKeyError(key: name, reason: "unknown extension '.\(ext)' (known: \(known))")
        }
        return ObjectKey(unchecked: topic, partition: partition, startOffset: offset, kind: kind)
    }

    static func parsePartition(_ text: String, key: String) throws -> Int32 {
        guard isDigits(text) else {
            throw ObjectKeyError(key: key, reason: "partition '\(text)' is not a non-negative integer")
        }
        guard let value = Int32(text), String(value) == text else {
            throw ObjectKeyError(key: key, reason: "partition '\(text)' is out of range or has leading zeros")
        }
        return value
    }

    static func parseOffset(_ text: String, key: String, anyPadding: Bool) throws -> Int64 {
        guard isDigits(text) else {
            throw ObjectKeyError(key: key, reason: "offset '\(text)' is not a non-negative integer")
        }
        guard let value = Int64(text) else {
            throw ObjectKeyError(key: key, reason: "offset '\(text)' is out of range")
        }
        guard anyPadding || paddedOffset(value) == text else {
            throw ObjectKeyError(key: key, reason: "offset '\(text)' is not zero-padded to 10 digits (expected '\(paddedOffset(value))')")
        }
        return value
    }

    /// One or more ASCII digits (compared as bytes: Character properties cost a Unicode table lookup each).
    static func isDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
