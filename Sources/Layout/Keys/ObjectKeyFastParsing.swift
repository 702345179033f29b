/// The common case of key parsing read straight from the bytes: a verify or a listing of a million
/// objects spent a fifth of its time splitting keys into strings. Anything unusual returns nil and
/// goes down the checking path in ObjectKeyParsing, which also says what is wrong, so both paths
/// accept exactly the same keys.
extension ObjectKey {
    /// `<topic>/partition=<p>/<file>` (the rest of a key below its topics dir).
    static func fastParseFolders(_ rest: Substring) -> ObjectKey? {
        rest.utf8.withContiguousStorageIfAvailable { fastParseFolders($0) } ?? nil
    }

    /// The name of the key in `key` (UTF-8) when it is exactly what `StoreLayout.key(for:)` spells
    /// for that name below `root` (the topics folder's bytes and a slash); nil for any other key,
    /// which may still parse the long way.
    /// Every key the fast path accepts is spelled that way: ten-digit offsets, partitions without
    /// leading zeros, a known extension.
    static func canonical(_ key: UnsafeBufferPointer<UInt8>, root: [UInt8]) -> ObjectKey? {
        guard key.count > root.count, key.starts(with: root) else { return nil }
        return fastParseFolders(UnsafeBufferPointer(rebasing: key[root.count...]))
    }

    /// True when `canonical` names the key: the same parse, without making the name.
    static func isCanonical(_ key: UnsafeBufferPointer<UInt8>, root: [UInt8]) -> Bool {
        guard key.count > root.count, key.starts(with: root) else { return false }
        return scanFolders(UnsafeBufferPointer(rebasing: key[root.count...])) != nil
    }

    private static func fastParseFolders(_ bytes: UnsafeBufferPointer<UInt8>) -> ObjectKey? {
        scanFolders(bytes).map(\.key)
    }

    private static func scanFolders(_ bytes: UnsafeBufferPointer<UInt8>) -> ScannedName? {
        guard let firstSlash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let afterTopic = firstSlash + 1
        guard let secondOffset = bytes[afterTopic...].firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let folder = UnsafeBufferPointer(rebasing: bytes[afterTopic..<secondOffset])
        let label = partitionLabel
        guard folder.count > label.count, folder.starts(with: label),
            let folderPartition = digits(
                UnsafeBufferPointer(rebasing: folder[label.count...]), max: Int64(Int32.max), noLeadingZero: true),
            let scanned = scanFileName(UnsafeBufferPointer(rebasing: bytes[(secondOffset + 1)...]), anyPadding: false),
            scanned.partition == folderPartition,
            scanned.topic.elementsEqual(UnsafeBufferPointer(rebasing: bytes[..<firstSlash]))
        else { return nil }
        return scanned
    }

    /// `<topic>+<p>+<offset>.<ext>` with a legal topic, a partition without leading zeros, and an
    /// offset of ten digits (any width with `anyPadding`).
    static func fastParseFileName(_ name: UnsafeBufferPointer<UInt8>, anyPadding: Bool) -> ObjectKey? {
        scanFileName(name, anyPadding: anyPadding).map(\.key)
    }

    /// A file name's parts as `fastParseFileName` reads them, the topic still as bytes.
    private struct ScannedName {
        var topic: UnsafeBufferPointer<UInt8>
        var partition: Int64
        var offset: Int64
        var kind: ObjectFileKind

        var key: ObjectKey {
            ObjectKey(unchecked: String(decoding: topic, as: UTF8.self), partition: Int32(partition), startOffset: offset, kind: kind)
        }
    }

    private static func scanFileName(_ name: UnsafeBufferPointer<UInt8>, anyPadding: Bool) -> ScannedName? {
        guard let lastPlus = name.lastIndex(of: UInt8(ascii: "+")),
            let secondPlus = name[..<lastPlus].lastIndex(of: UInt8(ascii: "+")),
            let dot = name[(lastPlus + 1)...].firstIndex(of: UInt8(ascii: "."))
        else { return nil }
        let topic = UnsafeBufferPointer(rebasing: name[..<secondPlus])
        guard topic.count > 0, topic.count <= TopicName.maxLength, topic.allSatisfy(isTopicByte),
            !(topic.count <= 2 && topic.allSatisfy { $0 == UInt8(ascii: ".") }),
            let partition = digits(
                UnsafeBufferPointer(rebasing: name[(secondPlus + 1)..<lastPlus]), max: Int64(Int32.max), noLeadingZero: true)
        else { return nil }
        let offsetBytes = UnsafeBufferPointer(rebasing: name[(lastPlus + 1)..<dot])
        guard anyPadding || offsetBytes.count == 10,
            let offset = digits(offsetBytes, max: Int64.max, noLeadingZero: false),
            let kind = ObjectFileKind(fileExtension: UnsafeBufferPointer(rebasing: name[(dot + 1)...]))
        else { return nil }
        return ScannedName(topic: topic, partition: partition, offset: offset, kind: kind)
    }

    private static let partitionLabel = Array("partition=".utf8)

    private static func isTopicByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }

    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>, max: Int64, noLeadingZero: Bool) -> Int64? {
        guard !bytes.isEmpty, !(noLeadingZero && bytes.count > 1 && bytes[0] == UInt8(ascii: "0")) else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1, !o2, sum <= max else { return nil }
            value = sum
        }
        return value
    }
}
