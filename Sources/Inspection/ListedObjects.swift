#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The keys and sizes of a store's listing, held compactly: every key's bytes in large shared
/// blocks, and an open-addressing table of small entries. A `[String: Int64]` of a million keys took
/// about 160 bytes a key (a heap string each, a dictionary sized for growth, SipHash on every look-up);
/// this takes about 100 and hashes eight bytes at a time. Each entry also carries a mark (named by
/// a manifest), so that orphans are found without a second set of keys.
public struct ListedObjects: Sendable {
    private struct Entry {
        var size: Int64
        var block: UInt32
        var offset: UInt32
        var hash: UInt32
        /// The key's length in bytes; the top bit marks a key a manifest named.
        var lengthAndMark: UInt32

        var length: Int { Int(lengthAndMark & ~Self.mark) }
        var named: Bool { lengthAndMark & Self.mark != 0 }
        static let mark: UInt32 = 1 << 31
    }

    /// Bytes per block of keys; a block is never grown past its first capacity, so its bytes never move.
    private static let blockSize = 1 << 20
    private var blocks: [[UInt8]] = []
    private var entries: [Entry] = []
    /// Entry index + 1 of each slot (0: empty); a power of two in size, at most half full.
    private var slots: [UInt32] = []
    /// The ETag of each entry, when kept (`keepETags`); else empty.
    private var etags: [String] = []
    private let keepETags: Bool
    /// Keys listed in an archive storage class (those `StorageClass.refused` names), with it: rare, so
    /// kept apart from the entries.
    private var archived: [String: String] = [:]
    /// The entry of the greatest key inserted: a key beyond it is new without a look-up, and a store
    /// lists its keys in order.
    private var greatest: Int?
    /// Entries from here on are not in `slots` yet: keys listed in order are placed a batch at a time.
    private var placed = 0
    private static let placementBatch = 64

    public init(keepETags: Bool = false) {
        self.keepETags = keepETags
    }

    public var count: Int { entries.count }

    /// The archive storage class `key` was listed in, if any.
    public func archiveClass(of key: String) -> String? { archived[key] }
    public var isEmpty: Bool { entries.isEmpty }

    /// Adds a listed key; false (and nothing changed) when it is listed already.
    @discardableResult
    public mutating func insert(_ key: String, size: Int64, etag: String? = nil, archiveClass: String? = nil) -> Bool {
        if let archiveClass { archived[key] = archiveClass }
        return Self.withBytes(of: key) { bytes in
            let hash = Self.hash(bytes)
            let beyond = greatest.map { precedes(entries[$0], bytes) } ?? true
            if !beyond && find(bytes, hash: hash) != nil { return false }
            let (block, offset) = store(bytes)
            entries.append(Entry(size: size, block: block, offset: offset, hash: hash, lengthAndMark: UInt32(bytes.count)))
            if beyond { greatest = entries.count - 1 }
            if keepETags { etags.append(etag ?? "") }
            if !beyond || entries.count - placed >= Self.placementBatch { placePending() }
            return true
        }
    }

    /// Where `key` sits in listing order, or nil when it is not listed.
    func index(of key: String) -> Int? {
        Self.withBytes(of: key) { bytes in find(bytes, hash: Self.hash(bytes)) }
    }

    /// The listed size of the key at `index` in listing order.
    func size(at index: Int) -> Int64 { entries[index].size }

    /// The listed size of `key`, or nil when it is not listed (`unknownSize` when listed without one).
    public func size(of key: String) -> Int64? { index(of: key).map { entries[$0].size } }

    /// The size of a key listed without one (a directory store's keys-only listing).
    public static let unknownSize: Int64 = -1

    /// Sets the size of a listed key (one listed without its size, learnt since).
    mutating func setSize(_ size: Int64, of key: String) {
        if let found = index(of: key) { entries[found].size = size }
    }

    public func contains(_ key: String) -> Bool { index(of: key) != nil }

    /// The listed ETag of `key`, when ETags were kept.
    public func etag(of key: String) -> String? {
        guard keepETags else { return nil }
        return index(of: key).map { etags[$0] }
    }

    /// How `key` stands when a manifest names it: listed and named for the first time (now marked),
    /// named before, or not listed; and where it is listed.
    mutating func markNamed(_ key: String) -> (naming: ManifestFigures.Naming, index: Int?) {
        placePending()
        guard let found = index(of: key) else { return (.unlisted, nil) }
        if entries[found].named { return (.again, found) }
        entries[found].lengthAndMark |= Entry.mark
        return (.first, found)
    }

    /// `markNamed` of each of `keys`, in order (a key given twice is `.again` the second time). The
    /// look-ups go stage by stage over all the keys, so that the cache misses of a million-entry
    /// table overlap rather than follow one another: the table's slot of every key is read first,
    /// then the entries those slots point at, then the keys' bytes.
    mutating func markNamed(_ keys: [String]) -> [(naming: ManifestFigures.Naming, index: Int?)] {
        placePending()
        guard !slots.isEmpty else { return keys.map { _ in (.unlisted, nil) } }
        let mask = slots.count - 1
        let hashes = keys.map { key in Self.withBytes(of: key) { Self.hash($0) } }
        let firstSlots = hashes.map { slots[Int($0) & mask] }
        // An entry whose hash and length match is almost always the key; its first bytes are read
        // here too, so that the comparison below finds them in the cache.
        var candidates: [Int] = []
        candidates.reserveCapacity(keys.count)
        for (position, slot) in firstSlots.enumerated() {
            let index = Int(slot) - 1
            guard index >= 0, entries[index].hash == hashes[position], entries[index].length == keys[position].utf8.count,
                firstByte(of: entries[index]) == keys[position].utf8.first
            else {
                candidates.append(-1)
                continue
            }
            candidates.append(index)
        }
        var marked: [(naming: ManifestFigures.Naming, index: Int?)] = []
        marked.reserveCapacity(keys.count)
        for (position, key) in keys.enumerated() {
            let found = Self.withBytes(of: key) { bytes in
                let candidate = candidates[position]
                return candidate >= 0 && equal(entries[candidate], bytes) ? candidate : find(bytes, hash: hashes[position])
            }
            guard let found else {
                marked.append((.unlisted, nil))
                continue
            }
            if entries[found].named {
                marked.append((.again, found))
            } else {
                entries[found].lengthAndMark |= Entry.mark
                marked.append((.first, found))
            }
        }
        return marked
    }

    private func firstByte(of entry: Entry) -> UInt8? {
        entry.length == 0 ? nil : blocks[Int(entry.block)][Int(entry.offset)]
    }

    /// Every listed key, in listing order, each made when it is reached.
    public var keys: LazyMapSequence<Range<Int>, String> { entries.indices.lazy.map(key(at:)) }

    /// The listed keys whose bytes `include` accepts, in listing order, made into strings only then.
    func keys(where include: (UnsafeBufferPointer<UInt8>) -> Bool) -> [String] {
        var keys: [String] = []
        for index in entries.indices {
            let entry = entries[index]
            let included = blocks[Int(entry.block)].withUnsafeBufferPointer { block in
                include(UnsafeBufferPointer(rebasing: block[Int(entry.offset)..<Int(entry.offset) + entry.length]))
            }
            if included { keys.append(key(at: index)) }
        }
        return keys
    }

    /// Listed keys no manifest named, in listing order.
    public func unnamedKeys() -> [String] {
        entries.indices.filter { !entries[$0].named }.map(key(at:))
    }

    /// The key at `index` in listing order.
    func key(at index: Int) -> String {
        let entry = entries[index]
        return blocks[Int(entry.block)].withUnsafeBufferPointer { block in
            String(decoding: UnsafeBufferPointer(rebasing: block[Int(entry.offset)..<Int(entry.offset) + entry.length]), as: UTF8.self)
        }
    }

    private func find(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt32) -> Int? {
        if !slots.isEmpty {
            let mask = slots.count - 1
            var slot = Int(hash) & mask
            while slots[slot] != 0 {
                let index = Int(slots[slot] - 1)
                let entry = entries[index]
                if entry.hash == hash && entry.length == bytes.count && equal(entry, bytes) { return index }
                slot = (slot + 1) & mask
            }
        }
        // At most a batch waits to be placed.
        for index in placed..<entries.count {
            let entry = entries[index]
            if entry.hash == hash && entry.length == bytes.count && equal(entry, bytes) { return index }
        }
        return nil
    }

    private func equal(_ entry: Entry, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let wanted = bytes.baseAddress, !bytes.isEmpty else { return true }
        return blocks[Int(entry.block)].withUnsafeBufferPointer { block in
            memcmp(block.baseAddress! + Int(entry.offset), wanted, bytes.count) == 0
        }
    }

    /// True when the key of `entry` sorts before `bytes`, byte by byte.
    private func precedes(_ entry: Entry, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(entry.length, bytes.count)
        guard common > 0, let other = bytes.baseAddress else { return entry.length < bytes.count }
        let order = blocks[Int(entry.block)].withUnsafeBufferPointer { block in
            memcmp(block.baseAddress! + Int(entry.offset), other, common)
        }
        return order < 0 || order == 0 && entry.length < bytes.count
    }

    /// Places the entries not placed yet, growing the table first when they would fill it past half.
    private mutating func placePending() {
        guard placed < entries.count else { return }
        if entries.count * 2 > slots.count {
            var size = max(1024, slots.count * 2)
            while entries.count * 2 > size { size *= 2 }
            slots = [UInt32](repeating: 0, count: size)
            place(0..<placed)
        }
        place(placed..<entries.count)
        placed = entries.count
    }

    /// Places `range` of the entries a batch at a time: each batch's first slots are all read before
    /// any is written, so that the cache misses of a large table overlap rather than follow one another.
    private mutating func place(_ range: Range<Int>) {
        let mask = slots.count - 1
        var firstSlots = [UInt32](repeating: 0, count: Self.placementBatch)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + Self.placementBatch, range.upperBound)
            for index in start..<end { firstSlots[index - start] = slots[Int(entries[index].hash) & mask] }
            for index in start..<end {
                var slot = Int(entries[index].hash) & mask
                // An earlier entry of the batch may have taken the slot since it was read.
                if firstSlots[index - start] != 0 || slots[slot] != 0 {
                    while slots[slot] != 0 { slot = (slot + 1) & mask }
                }
                slots[slot] = UInt32(index + 1)
            }
            start = end
        }
    }

    private mutating func store(_ bytes: UnsafeBufferPointer<UInt8>) -> (block: UInt32, offset: UInt32) {
        if blocks.isEmpty || blocks[blocks.count - 1].capacity - blocks[blocks.count - 1].count < bytes.count {
            var block: [UInt8] = []
            block.reserveCapacity(max(Self.blockSize, bytes.count))
            blocks.append(block)
        }
        let last = blocks.count - 1
        let offset = blocks[last].count
        blocks[last].append(contentsOf: bytes)
        return (UInt32(last), UInt32(offset))
    }

    private static func withBytes<Result>(of key: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = key.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(key.utf8).withUnsafeBufferPointer(body)
    }

    /// A multiply-and-fold hash, eight bytes at a time: keys come from the store, not an adversary
    /// that gains from collisions, and a look-up per listed key must stay cheap.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        let raw = UnsafeRawBufferPointer(bytes)
        while index + 8 <= bytes.count {
            h = mix(h ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        h = mix(h ^ tail)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value.multipliedFullWidth(by: 0xBF58_476D_1CE4_E5B9)
        return product.high ^ product.low
    }
}
