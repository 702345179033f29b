#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// Visits the regular files of a directory store in S3 key order (UTF-8 bytes) under `prefix` and
/// after `after`, skipping whole directories that cannot hold such keys. Sorting each directory's
/// names, with `/` appended to subdirectories, yields the global key order, since every key below
/// `d` starts with `d/`. Names come from `readdir` with their type, so only files that are visited
/// cost a `stat` (relative to the open directory); names are compared as bytes. Names starting with
/// `reservedPrefix` are the store's own and skipped.
struct DirectoryWalk: Sendable {
    let root: String
    let prefix: [UInt8]
    let after: [UInt8]?
    let reservedPrefix: [UInt8]

    init(root: String, prefix: String, after: String?, reservedPrefix: String) {
        self.root = root
        self.prefix = Array(prefix.utf8)
        self.after = after.map { Array($0.utf8) }
        self.reservedPrefix = Array(reservedPrefix.utf8)
    }

    /// The directory the walk starts in, as a key prefix without its trailing `/` (empty for the
    /// root): only the directory the prefix names can hold matches.
    var start: String {
        guard let slash = prefix.lastIndex(of: slash) else { return "" }
        return String(decoding: prefix[..<slash], as: UTF8.self)
    }

    /// Returns false when `visit` asked to stop.
    func walk(visit: (ObjectSummary) -> Bool) -> Bool {
        let cursor = DirectoryCursor(self)
        while let object = cursor.next() {
            if !visit(object) { return false }
        }
        return true
    }

    private let slash = UInt8(ascii: "/")

    /// S3's order: lexicographic by bytes.
    static func bytesLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let common = min(x.count, y.count)
                if common > 0, let xs = x.baseAddress, let ys = y.baseAddress {
                    let order = memcmp(xs, ys, common)
                    if order != 0 { return order < 0 }
                }
                return x.count < y.count
            }
        }
    }
}

/// A `DirectoryWalk` that keeps its place between calls: each directory is read and sorted once and
/// held open while the walk is inside it, so a listing taken a page at a time costs what one walk
/// does (restarting the walk for each page of a thousand keys read every parent directory again,
/// and each partition folder about twice).
// @unchecked Sendable: used by one listing iterator at a time, one call after another.
final class DirectoryCursor: @unchecked Sendable {
    private struct Frame {
        let fd: Int32
        /// The key prefix of this directory's entries: its relative path and `/`, empty for the root.
        let base: [UInt8]
        let entries: [Entry]
        var next = 0
    }

    private struct Entry {
        /// The name, with `/` appended for a directory: the order a directory's names sort in.
        var sortKey: [UInt8]
        var isDirectory: Bool
        var name: ArraySlice<UInt8> { isDirectory ? sortKey.dropLast() : sortKey[...] }
    }

    private let walk: DirectoryWalk
    private var frames: [Frame] = []

    init(_ walk: DirectoryWalk) {
        self.walk = walk
        let relative = walk.start
        let path = relative.isEmpty ? walk.root : walk.root + "/" + relative
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        push(fd, base: relative.isEmpty ? [] : Array(relative.utf8) + [slash])
    }

    deinit {
        for frame in frames { close(frame.fd) }
    }

    /// The next regular file in key order, or nil when the walk is over.
    func next() -> ObjectSummary? {
        while let file = nextFile() {
            var info = stat()
            guard fstatat(file.directory, Self.cString(file.name), &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG
            else { continue }
            return ObjectSummary(
                key: String(decoding: file.key, as: UTF8.self), size: Int64(info.st_size),
                etag: LocalDirectoryStore.etag(of: info), lastModified: LocalDirectoryStore.modified(info))
        }
        return nil
    }

    /// The key of the next file `readdir` calls regular, with no `stat`; nil when the walk is over.
    func nextKey() -> String? {
        nextFile().map { String(decoding: $0.key, as: UTF8.self) }
    }

    /// The next file entry in key order, with the directory that holds it.
    private func nextFile() -> (directory: Int32, name: ArraySlice<UInt8>, key: [UInt8])? {
        while let top = frames.indices.last {
            guard frames[top].next < frames[top].entries.count else {
                close(frames[top].fd)
                frames.removeLast()
                continue
            }
            let entry = frames[top].entries[frames[top].next]
            frames[top].next += 1
            let fd = frames[top].fd
            let key = frames[top].base + entry.name
            if entry.isDirectory {
                let below = key + [slash]
                guard walk.prefix.starts(with: below) || below.starts(with: walk.prefix) else { continue }
                if let after = walk.after, DirectoryWalk.bytesLess(below, after), !after.starts(with: below) { continue }
                let child = openat(fd, Self.cString(entry.name), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if child >= 0 { push(child, base: below) }
            } else {
                guard key.starts(with: walk.prefix) else { continue }
                if let after = walk.after, !DirectoryWalk.bytesLess(after, key) { continue }
                return (fd, entry.name, key)
            }
        }
        return nil
    }

    /// Reads and sorts the open directory `fd` and makes it the walk's current one.
    private func push(_ fd: Int32, base: [UInt8]) {
        guard let directory = fdopendir(fd) else {
            close(fd)
            return
        }
        var entries: [Entry] = []
        while let found = readdir(directory) {
            let name = Self.name(of: found)
            if name == [dot] || name == [dot, dot] || name.starts(with: walk.reservedPrefix) { continue }
            var type = found.pointee.d_type
            if type == Self.unknownType || type == Self.linkType {
                // Without a type from readdir, ask; a symbolic link is neither a file nor a folder of the store.
                var info = stat()
                guard fstatat(fd, Self.cString(name[...]), &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let format = info.st_mode & S_IFMT
                type = format == S_IFDIR ? Self.directoryType : (format == S_IFREG ? Self.fileType : Self.linkType)
            }
            guard type == Self.directoryType || type == Self.fileType else { continue }
            entries.append(Entry(sortKey: type == Self.directoryType ? name + [slash] : name, isDirectory: type == Self.directoryType))
        }
        entries.sort { DirectoryWalk.bytesLess($0.sortKey, $1.sortKey) }
        // The stream keeps its own duplicate of the descriptor: closing it would close `fd`, which
        // the walk goes on using for `openat` and `fstatat`; rewinding is never needed.
        let held = dup(fd)
        closedir(directory)
        guard held >= 0 else { return }
        frames.append(Frame(fd: held, base: base, entries: entries))
    }

    private let slash = UInt8(ascii: "/")
    private let dot = UInt8(ascii: ".")
    // dirent.h's DT_* values (the same on Linux and the BSDs).
    private static let unknownType: UInt8 = 0
    private static let directoryType: UInt8 = 4
    private static let fileType: UInt8 = 8
    private static let linkType: UInt8 = 10

    private static func cString(_ name: ArraySlice<UInt8>) -> [CChar] {
        var text = name.map { CChar(bitPattern: $0) }
        text.append(0)
        return text
    }

    private static func name(of entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
        withUnsafePointer(to: &entry.pointee.d_name) { tuple in
            tuple.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { bytes in
                Array(UnsafeBufferPointer(start: bytes, count: strlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self))))
            }
        }
    }
}

/// A directory store's listing pages, from one `DirectoryCursor`.
// @unchecked Sendable: asked by one iterator at a time, one call after another.
final class DirectoryPages<Element: Sendable>: ListingPages, @unchecked Sendable {
    private let walk: DirectoryWalk
    private let pageSize: Int
    private let take: @Sendable (DirectoryCursor) -> Element?
    private var cursor: DirectoryCursor?
    private var finished = false

    /// `take` reads one entry from the cursor, nil when it is done.
    init(walk: DirectoryWalk, pageSize: Int, take: @escaping @Sendable (DirectoryCursor) -> Element?) {
        self.walk = walk
        self.pageSize = max(1, pageSize)
        self.take = take
    }

    func nextPage() async throws -> [Element]? {
        if finished { return nil }
        let page = try await Blocking.run { [self] in
            let cursor = self.cursor ?? DirectoryCursor(walk)
            self.cursor = cursor
            var page: [Element] = []
            page.reserveCapacity(pageSize)
            while page.count < pageSize, let entry = take(cursor) { page.append(entry) }
            return page
        }
        if page.count < pageSize {
            finished = true
            cursor = nil
            if page.isEmpty { return nil }
        }
        return page
    }
}
