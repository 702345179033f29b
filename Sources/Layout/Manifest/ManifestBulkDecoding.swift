import Foundation
import TimeText

/// A fast path for the two arrays that make up nearly all of a manifest's bytes, `objects` and
/// `partitions`: a store of a year of hourly runs holds a million of each, and JSONDecoder spent most
/// of `ls`, `verify` and restore planning on them. They are read here by hand, and the rest of the
/// document, with those arrays left empty, goes through JSONDecoder as before. Anything outside the
/// plain subset ktape writes (fractions or exponents, duplicate or unknown fields, a field of another
/// type) makes the fast path give up, and the caller decodes the whole document the usual way, so its
/// answer and its errors are JSONDecoder's.
enum ManifestBulkDecoding {
    struct Split {
        /// The document without the two arrays' elements, for JSONDecoder.
        var rest: [UInt8]
        var objects: [ManifestObject]
        var partitions: [ManifestPartition]
    }

    static func split(_ bytes: UnsafeRawBufferPointer) -> Split? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var scanner = ByteScanner(base: base, end: bytes.count)
        var split = Split(rest: [UInt8(ascii: "{")], objects: [], partitions: [])
        var members = 0
        guard scanner.take(UInt8(ascii: "{")) else { return nil }
        if scanner.take(UInt8(ascii: "}")) { return nil }
        repeat {
            scanner.skipWhitespace()
            let memberStart = scanner.at
            guard let name = scanner.plainString(), scanner.take(UInt8(ascii: ":")) else { return nil }
            scanner.skipWhitespace()
            if scanner.equals(name, "objects") {
                guard split.objects.isEmpty, let objects = scanner.array({ $0.manifestObject() }) else { return nil }
                split.objects = objects
                append(#""objects":[]"#, to: &split.rest, members: &members)
            } else if scanner.equals(name, "partitions") {
                guard split.partitions.isEmpty, let partitions = scanner.array({ $0.manifestPartition() }) else { return nil }
                split.partitions = partitions
                append(#""partitions":[]"#, to: &split.rest, members: &members)
            } else {
                guard scanner.skipValue() else { return nil }
                if members > 0 { split.rest.append(UInt8(ascii: ",")) }
                split.rest.append(contentsOf: UnsafeBufferPointer(start: base + memberStart, count: scanner.at - memberStart))
                members += 1
            }
        } while scanner.take(UInt8(ascii: ","))
        guard scanner.take(UInt8(ascii: "}")) else { return nil }
        scanner.skipWhitespace()
        guard scanner.at == scanner.end else { return nil }
        split.rest.append(UInt8(ascii: "}"))
        return split
    }

    /// The whole manifest read by hand, for a document in ktape's format at a version this ktape
    /// reads, every field present once with the type ktape writes. Anything else (an unknown field
    /// included, which JSONDecoder would skip) is nil, and the caller reads the document as above:
    /// JSONDecoder's fixed cost per document was a tenth of the decoding of ten thousand small ones.
    static func manifest(_ bytes: UnsafeRawBufferPointer, version current: Int) -> RunManifest? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var scanner = ByteScanner(base: base, end: bytes.count)
        var format: String?
        var version: Int64?
        var runId: String?
        var previousRunId: String??
        var job: String?
        var shard: String?
        var startedAt: Date?
        var finishedAt: Date?
        var store: ManifestStoreSettings?
        var configHash: String?
        var topics: [ManifestTopic]?
        var partitions: [ManifestPartition]?
        var objects: [ManifestObject]?
        var groupOffsets: [ManifestGroupOffset]?
        var removedGroupOffsets: [ManifestGroupPartition]??
        var clusterId: String??
        var emptyPartitions: [ManifestEmptyPartition]??
        let read = scanner.object { scanner, name in
            switch name.count {
            case 3 where scanner.equals(name, "job"): return fillOnce(&job, scanner.string())
            case 4 where scanner.equals(name, DocumentSeal.member): return scanner.skipValue()  // checked on the bytes
            case 5 where scanner.equals(name, "runId"): return fillOnce(&runId, scanner.string())
            case 5 where scanner.equals(name, "shard"): return fillOnce(&shard, scanner.string())
            case 5 where scanner.equals(name, "store"): return fillOnce(&store, scanner.storeSettings())
            case 6 where scanner.equals(name, "format"): return fillOnce(&format, scanner.string())
            case 6 where scanner.equals(name, "topics"): return fillOnce(&topics, scanner.array { $0.manifestTopic() })
            case 7 where scanner.equals(name, "version"): return fillOnce(&version, scanner.int64())
            case 7 where scanner.equals(name, "objects"): return fillOnce(&objects, scanner.array { $0.manifestObject() })
            case 9 where scanner.equals(name, "startedAt"): return fillOnce(&startedAt, scanner.date())
            case 9 where scanner.equals(name, "clusterId"): return fillOptional(&clusterId, &scanner) { $0.string() }
            case 10 where scanner.equals(name, "finishedAt"): return fillOnce(&finishedAt, scanner.date())
            case 10 where scanner.equals(name, "configHash"): return fillOnce(&configHash, scanner.string())
            case 10 where scanner.equals(name, "partitions"): return fillOnce(&partitions, scanner.array { $0.manifestPartition() })
            case 13 where scanner.equals(name, "previousRunId"): return fillOptional(&previousRunId, &scanner) { $0.string() }
            case 15 where scanner.equals(name, "emptyPartitions"):
                return fillOptional(&emptyPartitions, &scanner) { $0.array { $0.emptyPartition() } }
            case 19 where scanner.equals(name, "removedGroupOffsets"):
                return fillOptional(&removedGroupOffsets, &scanner) { $0.array { $0.groupPartition() } }
            case 20 where scanner.equals(name, "consumerGroupOffsets"):
                return fillOnce(&groupOffsets, scanner.array { $0.groupOffset() })
            default: return false
            }
        }
        guard read, scanner.atEnd, format == RunManifest.formatName, let version, version >= 1, version <= current,
            let runId, let job, let shard, let startedAt, let finishedAt, let store, let configHash, let topics,
            let partitions, let objects, let groupOffsets
        else { return nil }
        var manifest = RunManifest(
            runId: RunID(rawValue: runId), previousRunId: (previousRunId ?? nil).map(RunID.init(rawValue:)), job: job, shard: shard,
            startedAt: startedAt, finishedAt: finishedAt, store: store, configHash: configHash, topics: topics,
            partitions: partitions, objects: objects, consumerGroupOffsets: groupOffsets, clusterId: clusterId ?? nil)
        manifest.removedGroupOffsets = removedGroupOffsets ?? nil
        manifest.emptyPartitions = emptyPartitions ?? nil
        manifest.version = Int(version)
        return manifest
    }

    private static func append(_ member: StaticString, to rest: inout [UInt8], members: inout Int) {
        if members > 0 { rest.append(UInt8(ascii: ",")) }
        rest.append(contentsOf: UnsafeBufferPointer(start: member.utf8Start, count: member.utf8CodeUnitCount))
        members += 1
    }
}

/// Stores a field's value the first time the field is met; false for a second time (a duplicate
/// field, which JSONDecoder reads its own way) or a value of another kind.
private func fillOnce<V>(_ slot: inout V?, _ value: V?) -> Bool {
    guard slot == nil, let value else { return false }
    slot = value
    return true
}

/// Stores an optional field's value (null too) the first time the field is met; false for a second
/// time or a value of another kind.
private func fillOptional<V>(_ slot: inout V??, _ scanner: inout ByteScanner, _ read: (inout ByteScanner) -> V?) -> Bool {
    guard slot == nil else { return false }
    if scanner.null() {
        slot = .some(nil)
        return true
    }
    guard let value = read(&scanner) else { return false }
    slot = .some(value)
    return true
}

extension ManifestBulkDecoding {
    /// Whether the document's top-level object has a member `name`, wherever it stands; nil when the
    /// document is not one this scanner reads (JSONDecoder then has the last word on it).
    static func hasTopLevelMember(_ bytes: UnsafeRawBufferPointer, named name: StaticString) -> Bool? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var scanner = ByteScanner(base: base, end: bytes.count)
        var found = false
        let read = scanner.object { scanner, member in
            if scanner.equals(member, name) { found = true }
            return scanner.skipValue()
        }
        return read || found ? found : nil
    }
}

/// Reads JSON bytes in place. Every reader returns nil (or false) on anything it does not expect.
private struct ByteScanner {
    let base: UnsafePointer<UInt8>
    let end: Int
    var at = 0

    init(base: UnsafePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    mutating func skipWhitespace() {
        while at < end, base[at] == 0x20 || base[at] == 0x0A || base[at] == 0x0D || base[at] == 0x09 { at += 1 }
    }

    /// Skips whitespace, then consumes `byte` if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard at < end, base[at] == byte else { return false }
        at += 1
        return true
    }

    /// A string without escapes or control characters: the range of its bytes.
    mutating func plainString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = at
        while at < end {
            let byte = base[at]
            if byte == UInt8(ascii: "\"") {
                at += 1
                return start..<at - 1
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            at += 1
        }
        return nil
    }

    /// A string value; escapes (an S3 ETag's quotes) are decoded, unpaired surrogates refused.
    mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = at
        var high: UInt8 = 0
        while at < end, base[at] != UInt8(ascii: "\""), base[at] != UInt8(ascii: "\\") {
            guard base[at] >= 0x20 else { return nil }
            high |= base[at]
            at += 1
        }
        guard at < end else { return nil }
        if base[at] == UInt8(ascii: "\"") {
            // No escapes, as in nearly every string ktape writes: straight from the document's bytes.
            // ASCII needs no validation, and the generic one cost a tenth of a manifest's decoding.
            at += 1
            let text = UnsafeBufferPointer(start: base + start, count: at - 1 - start)
            return high < 0x80 ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
        }
        var bytes = Array(UnsafeBufferPointer(start: base + start, count: at - start))
        while base[at] == UInt8(ascii: "\\") {
            guard at + 1 < end else { return nil }
            let escaped = base[at + 1]
            at += 2
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escaped)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard at + 1 < end, base[at] == UInt8(ascii: "\\"), base[at + 1] == UInt8(ascii: "u") else { return nil }
                    at += 2
                    guard let low = hex4(), low >= 0xDC00, low < 0xE000 else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                bytes.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: return nil
            }
            while at < end, base[at] != UInt8(ascii: "\""), base[at] != UInt8(ascii: "\\") {
                guard base[at] >= 0x20 else { return nil }
                bytes.append(base[at])
                at += 1
            }
            guard at < end else { return nil }
        }
        at += 1
        return String(validating: bytes, as: UTF8.self)
    }

    private mutating func hex4() -> UInt32? {
        guard end - at >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = base[at]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }

    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        return memcmp(base + range.lowerBound, literal.utf8Start, range.count) == 0
    }

    /// An integer written as JSON writes one: an optional minus and digits, no fraction or exponent.
    mutating func int64() -> Int64? {
        skipWhitespace()
        var negative = false
        if at < end, base[at] == UInt8(ascii: "-") {
            negative = true
            at += 1
        }
        let start = at
        var value: Int64 = 0
        while at < end, base[at] >= UInt8(ascii: "0"), base[at] <= UInt8(ascii: "9") {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(base[at] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
            at += 1
        }
        guard at > start, at - start == 1 || base[start] != UInt8(ascii: "0") else { return nil }
        if at < end, base[at] == UInt8(ascii: ".") || base[at] == UInt8(ascii: "e") || base[at] == UInt8(ascii: "E") { return nil }
        return negative ? -value : value
    }

    mutating func int32() -> Int32? { int64().flatMap { Int32(exactly: $0) } }

    mutating func null() -> Bool {
        skipWhitespace()
        guard end - at >= 4, memcmp(base + at, "null", 4) == 0 else { return false }
        at += 4
        return true
    }

    mutating func array<T>(_ element: (inout ByteScanner) -> T?) -> [T]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var result: [T] = []
        if take(UInt8(ascii: "]")) { return result }
        repeat {
            guard let value = element(&self) else { return nil }
            result.append(value)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? result : nil
    }

    /// Calls `field` with each member's name until it returns false; false when the object is malformed.
    mutating func object(_ field: (inout ByteScanner, Range<Int>) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard let name = plainString(), take(UInt8(ascii: ":")), field(&self, name) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// Skips any JSON value, escapes and nesting included.
    mutating func skipValue() -> Bool {
        skipWhitespace()
        guard at < end else { return false }
        var depth = 0
        repeat {
            skipWhitespace()
            guard at < end else { return false }
            switch base[at] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                at += 1
                continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return false }
                depth -= 1
                at += 1
            case UInt8(ascii: "\""):
                at += 1
                while at < end, base[at] != UInt8(ascii: "\"") { at += base[at] == UInt8(ascii: "\\") ? 2 : 1 }
                guard at < end else { return false }
                at += 1
            default:
                let start = at
                while at < end, !",:]} \n\r\t".utf8.contains(base[at]) { at += 1 }
                guard at > start else { return false }
            }
            skipWhitespace()
            while depth > 0, at < end, base[at] == UInt8(ascii: ",") || base[at] == UInt8(ascii: ":") {
                at += 1
                skipWhitespace()
            }
        } while depth > 0
        return true
    }

    mutating func manifestObject() -> ManifestObject? {
        var key: String?
        var topic: String?
        var partition: Int32?
        var first: Int64?
        var last: Int64?
        var spanStart: Int64?
        var spanEnd: Int64?
        var records: Int64?
        var bytes: Int64?
        var crc: String??
        var sha: String??
        var etag: String??
        var minTime: Int64??
        var maxTime: Int64??
        var companions: [String]?
        var companionChecksums: [CompanionChecksum]??
        let read = object { scanner, name in
            func optional<V>(_ slot: inout V??, _ read: (inout ByteScanner) -> V?) -> Bool { fillOptional(&slot, &scanner, read) }
            switch name.count {
            case 3 where scanner.equals(name, "key"): return fillOnce(&key, scanner.string())
            case 4 where scanner.equals(name, "etag"): return optional(&etag) { $0.string() }
            case 5 where scanner.equals(name, "topic"): return fillOnce(&topic, scanner.string())
            case 6 where scanner.equals(name, "sha256"): return optional(&sha) { $0.string() }
            case 7 where scanner.equals(name, "spanEnd"): return fillOnce(&spanEnd, scanner.int64())
            case 8 where scanner.equals(name, "byteSize"): return fillOnce(&bytes, scanner.int64())
            case 9 where scanner.equals(name, "partition"): return fillOnce(&partition, scanner.int32())
            case 9 where scanner.equals(name, "spanStart"): return fillOnce(&spanStart, scanner.int64())
            case 9 where scanner.equals(name, "crc64nvme"): return optional(&crc) { $0.string() }
            case 10 where scanner.equals(name, "lastOffset"): return fillOnce(&last, scanner.int64())
            case 11 where scanner.equals(name, "firstOffset"): return fillOnce(&first, scanner.int64())
            case 11 where scanner.equals(name, "recordCount"): return fillOnce(&records, scanner.int64())
            case 12 where scanner.equals(name, "minTimestamp"): return optional(&minTime) { $0.int64() }
            case 12 where scanner.equals(name, "maxTimestamp"): return optional(&maxTime) { $0.int64() }
            case 13 where scanner.equals(name, "companionKeys"): return fillOnce(&companions, scanner.array { $0.string() })
            case 18 where scanner.equals(name, "companionChecksums"):
                return optional(&companionChecksums) { $0.array { $0.companionChecksum() } }
            default: return false
            }
        }
        guard read, let key, let topic, let partition, let first, let last, let spanStart, let spanEnd, let records, let bytes,
            let companions
        else { return nil }
        return ManifestObject(
            key: key, topic: topic, partition: partition, firstOffset: first, lastOffset: last, spanStart: spanStart,
            spanEnd: spanEnd, recordCount: records, byteSize: bytes, crc64nvme: crc ?? nil, sha256: sha ?? nil, etag: etag ?? nil,
            companionKeys: companions, companionChecksums: companionChecksums ?? nil, minTimestamp: minTime ?? nil,
            maxTimestamp: maxTime ?? nil)
    }

    mutating func companionChecksum() -> CompanionChecksum? {
        var bytes: Int64?
        var crc: String?
        var etag: String??
        let read = object { scanner, name in
            if scanner.equals(name, "byteSize") { return fillOnce(&bytes, scanner.int64()) }
            if scanner.equals(name, "crc64nvme") { return fillOnce(&crc, scanner.string()) }
            if scanner.equals(name, "etag") { return fillOptional(&etag, &scanner) { $0.string() } }
            return false
        }
        guard read, let bytes, let crc else { return nil }
        return CompanionChecksum(byteSize: bytes, crc64nvme: crc, etag: etag ?? nil)
    }

    mutating func manifestPartition() -> ManifestPartition? {
        var topic: String?
        var partition: Int32?
        var start: Int64?
        var endOffset: Int64?
        var atStart: Int64?
        var gaps: [OffsetGap]?
        var lastRecord: String??
        var lastRecordOffset: Int64??
        let read = object { scanner, name in
            if scanner.equals(name, "topic") { return fillOnce(&topic, scanner.string()) }
            if scanner.equals(name, "lastRecordCrc64nvme") { return fillOptional(&lastRecord, &scanner) { $0.string() } }
            if scanner.equals(name, "lastRecordOffset") { return fillOptional(&lastRecordOffset, &scanner) { $0.int64() } }
            if scanner.equals(name, "partition") { return fillOnce(&partition, scanner.int32()) }
            if scanner.equals(name, "startOffset") { return fillOnce(&start, scanner.int64()) }
            if scanner.equals(name, "endOffset") { return fillOnce(&endOffset, scanner.int64()) }
            if scanner.equals(name, "endOffsetAtStart") { return fillOnce(&atStart, scanner.int64()) }
            if scanner.equals(name, "gaps") { return fillOnce(&gaps, scanner.array { $0.gap() }) }
            return false
        }
        guard read, let topic, let partition, let start, let endOffset, let atStart, let gaps else { return nil }
        return ManifestPartition(
            topic: topic, partition: partition, startOffset: start, endOffset: endOffset, endOffsetAtStart: atStart, gaps: gaps,
            lastRecordCrc64nvme: lastRecord ?? nil, lastRecordOffset: lastRecordOffset ?? nil)
    }

    /// True when only whitespace is left.
    var atEnd: Bool {
        mutating get {
            skipWhitespace()
            return at == end
        }
    }

    /// An RFC 3339 time, as LayoutJSON's date strategy reads one.
    mutating func date() -> Date? { string().flatMap(Timestamps.parseRFC3339) }

    mutating func storeSettings() -> ManifestStoreSettings? {
        var topicsDir: String?
        var format: StoreFormat?
        var compression: StoreCompression?
        var level: Int64??
        let read = object { scanner, name in
            if scanner.equals(name, "topicsDir") { return fillOnce(&topicsDir, scanner.string()) }
            if scanner.equals(name, "format") { return fillOnce(&format, scanner.string().flatMap(StoreFormat.init(rawValue:))) }
            if scanner.equals(name, "compression") {
                return fillOnce(&compression, scanner.string().flatMap(StoreCompression.init(rawValue:)))
            }
            if scanner.equals(name, "compressionLevel") { return fillOptional(&level, &scanner) { $0.int64() } }
            return false
        }
        guard read, let topicsDir, let format, let compression else { return nil }
        return ManifestStoreSettings(
            topicsDir: topicsDir, format: format, compression: compression, compressionLevel: (level ?? nil).map(Int.init))
    }

    mutating func manifestTopic() -> ManifestTopic? {
        var name: String?
        var partitionCount: Int32?
        var configs: [String: String]?
        var cleanupPolicy: String?
        var timestampType: TopicTimestampType?
        let read = object { scanner, field in
            if scanner.equals(field, "name") { return fillOnce(&name, scanner.string()) }
            if scanner.equals(field, "partitionCount") { return fillOnce(&partitionCount, scanner.int32()) }
            if scanner.equals(field, "configs") { return fillOnce(&configs, scanner.stringMap()) }
            if scanner.equals(field, "cleanupPolicy") { return fillOnce(&cleanupPolicy, scanner.string()) }
            if scanner.equals(field, "timestampType") {
                return fillOnce(&timestampType, scanner.string().flatMap(TopicTimestampType.init(rawValue:)))
            }
            return false
        }
        guard read, let name, let partitionCount, let configs, let cleanupPolicy, let timestampType else { return nil }
        return ManifestTopic(
            name: name, partitionCount: partitionCount, configs: configs, cleanupPolicy: cleanupPolicy, timestampType: timestampType)
    }

    /// An object of string values; nil for a name met twice.
    mutating func stringMap() -> [String: String]? {
        var map: [String: String] = [:]
        let read = object { scanner, name in
            guard let value = scanner.string(),
                let key = String(validating: UnsafeBufferPointer(start: scanner.base + name.lowerBound, count: name.count), as: UTF8.self)
            else { return false }
            return map.updateValue(value, forKey: key) == nil
        }
        return read ? map : nil
    }

    mutating func groupOffset() -> ManifestGroupOffset? {
        var group: String?
        var topic: String?
        var partition: Int32?
        var offset: Int64?
        var metadata: String??
        let read = object { scanner, name in
            if scanner.equals(name, "group") { return fillOnce(&group, scanner.string()) }
            if scanner.equals(name, "topic") { return fillOnce(&topic, scanner.string()) }
            if scanner.equals(name, "partition") { return fillOnce(&partition, scanner.int32()) }
            if scanner.equals(name, "offset") { return fillOnce(&offset, scanner.int64()) }
            if scanner.equals(name, "metadata") { return fillOptional(&metadata, &scanner) { $0.string() } }
            return false
        }
        guard read, let group, let topic, let partition, let offset else { return nil }
        return ManifestGroupOffset(group: group, topic: topic, partition: partition, offset: offset, metadata: metadata ?? nil)
    }

    mutating func groupPartition() -> ManifestGroupPartition? {
        var group: String?
        var topic: String?
        var partition: Int32?
        let read = object { scanner, name in
            if scanner.equals(name, "group") { return fillOnce(&group, scanner.string()) }
            if scanner.equals(name, "topic") { return fillOnce(&topic, scanner.string()) }
            if scanner.equals(name, "partition") { return fillOnce(&partition, scanner.int32()) }
            return false
        }
        guard read, let group, let topic, let partition else { return nil }
        return ManifestGroupPartition(group: group, topic: topic, partition: partition)
    }

    mutating func emptyPartition() -> ManifestEmptyPartition? {
        var topic: String?
        var partition: Int32?
        var offset: Int64?
        let read = object { scanner, name in
            if scanner.equals(name, "topic") { return fillOnce(&topic, scanner.string()) }
            if scanner.equals(name, "partition") { return fillOnce(&partition, scanner.int32()) }
            if scanner.equals(name, "offset") { return fillOnce(&offset, scanner.int64()) }
            return false
        }
        guard read, let topic, let partition, let offset else { return nil }
        return ManifestEmptyPartition(topic: topic, partition: partition, offset: offset)
    }

    mutating func gap() -> OffsetGap? {
        var start: Int64?
        var end: Int64?
        var reason: GapReason?
        let read = object { scanner, name in
            if scanner.equals(name, "start") { return fillOnce(&start, scanner.int64()) }
            if scanner.equals(name, "end") { return fillOnce(&end, scanner.int64()) }
            if scanner.equals(name, "reason") { return fillOnce(&reason, scanner.string().flatMap(GapReason.init(rawValue:))) }
            return false
        }
        guard read, let start, let end, let reason else { return nil }
        return OffsetGap(start: start, end: end, reason: reason)
    }
}
