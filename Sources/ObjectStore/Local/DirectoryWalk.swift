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
/// `reservedPrefix` are the store's own and skipped. Only a name that is gone counts as no keys: any
/// other failure to open, read or `stat` throws, as an unreadable folder is not an empty one (a
/// verify would call its objects missing, and a restore told to allow that would lose them).
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

    /// Turns a failed call's `errno` into the listing's `StoreError`, naming the path.
    var fs: FileSystem { FileSystem(location: "file://" + root, operation: "list", key: nil) }

    /// Returns false when `visit` asked to stop.
    func walk(visit: (ObjectSummary) -> Bool) throws -> Bool {
        let cursor = try DirectoryCursor(self)
        while let object = try cursor.next() {
            if !visit(object) { return false }
        }
        return true
    }

    private let slash = UInt8(ascii: "/")

    /// S3's order: lexicographic by bytes.
    static func bytesLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in bytesLess(x, 0, x.count, y, 0, y.count) }
        }
    }

    /// `bytesLess` of `a[aStart..<aStart + aCount]` and `b[bStart..<bStart + bCount]`.
    static func bytesLess(
        _ a: UnsafeBufferPointer<UInt8>, _ aStart: Int, _ aCount: Int, _ b: UnsafeBufferPointer<UInt8>, _ bStart: Int, _ bCount: Int
    ) -> Bool {
        let common = min(aCount, bCount)
        if common > 0, let xs = a.baseAddress, let ys = b.baseAddress {
            let order = memcmp(xs + aStart, ys + bStart, common)
            if order != 0 { return order < 0 }
        }
        return aCount < bCount
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
        /// Every entry's sort key, one after another.
        let names: [UInt8]
        let entries: [Entry]
        var next = 0
    }

    /// Where in its frame's `names` an entry's sort key is: the name, with `/` appended for a
    /// directory, the order a directory's names sort in.
    private struct Entry {
        var start: Int
        var length: Int
        var isDirectory: Bool
        var nameLength: Int { isDirectory ? length - 1 : length }
    }

    private let walk: DirectoryWalk
    private var frames: [Frame] = []
    /// The key of the file (or directory, with its `/`) `nextFile` reached last, and its name as a C
    /// string: kept from one file to the next, so that a million files cost no array each.
    private var key: [UInt8] = []
    private var cName: [CChar] = []

    init(_ walk: DirectoryWalk) throws {
        self.walk = walk
        // A missing root is a store not written yet; a root that is a file, or under one, or
        // unreadable is not.
        let root = open(walk.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            if errno == ENOENT { return }
            throw walk.fs.failure("open", walk.root)
        }
        let relative = walk.start
        guard !relative.isEmpty else {
            try push(root, base: [])
            return
        }
        let fd = openat(root, relative, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let code = errno
        close(root)
        guard fd >= 0 else {
            // Inside the store, a file where the prefix wants a folder holds no keys under it, as in S3.
            if code == ENOENT || code == ENOTDIR { return }
            throw walk.fs.failure("open", walk.root + "/" + relative, code)
        }
        try push(fd, base: Array(relative.utf8) + [slash])
    }

    deinit {
        for frame in frames { close(frame.fd) }
    }

    /// The next regular file in key order, or nil when the walk is over.
    func next() throws -> ObjectSummary? {
        guard let info = try nextStatus() else { return nil }
        return ObjectSummary(
            key: String(decoding: key, as: UTF8.self), size: Int64(info.st_size),
            etag: LocalDirectoryStore.etag(of: info), lastModified: LocalDirectoryStore.modified(info))
    }

    /// The key and size of the next regular file (no ETag or time made), or nil when the walk is over.
    func nextSized() throws -> ListedKey? {
        try nextStatus().map { ListedKey(key: String(decoding: key, as: UTF8.self), size: Int64($0.st_size)) }
    }

    /// The key of the next file `readdir` calls regular, with no `stat`; nil when the walk is over.
    func nextKey() throws -> String? {
        try nextFile().map { _ in String(decoding: key, as: UTF8.self) }
    }

    /// The status of the next file that `stat` finds regular (its key in `key`).
    private func nextStatus() throws -> stat? {
        while let directory = try nextFile() {
            var info = stat()
            guard fstatat(directory, cName, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                // Deleted since readdir named it: gone, as S3 would say.
                let code = errno
                if code == ENOENT { continue }
                throw walk.fs.failure("stat", path(of: key), code)
            }
            guard info.st_mode & S_IFMT == S_IFREG else { continue }
            return info
        }
        return nil
    }

    /// Moves to the next file entry in key order: its key in `key`, its name in `cName`; returns the
    /// directory that holds it.
    private func nextFile() throws -> Int32? {
        while let top = frames.indices.last {
            guard frames[top].next < frames[top].entries.count else {
                close(frames[top].fd)
                frames.removeLast()
                continue
            }
            let entry = frames[top].entries[frames[top].next]
            frames[top].next += 1
            let fd = frames[top].fd
            key.removeAll(keepingCapacity: true)
            key.append(contentsOf: frames[top].base)
            cName.removeAll(keepingCapacity: true)
            frames[top].names.withUnsafeBufferPointer { names in
                let name = UnsafeBufferPointer(rebasing: names[entry.start..<entry.start + entry.nameLength])
                key.append(contentsOf: name)
                for byte in name { cName.append(CChar(bitPattern: byte)) }
            }
            cName.append(0)
            if entry.isDirectory {
                key.append(slash)
                guard walk.prefix.starts(with: key) || key.starts(with: walk.prefix) else { continue }
                if let after = walk.after, DirectoryWalk.bytesLess(key, after), !after.starts(with: key) { continue }
                let child = openat(fd, cName, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard child >= 0 else {
                    let code = errno
                    if code == ENOENT { continue }
                    throw walk.fs.failure("open", path(of: key), code)
                }
                try push(child, base: key)
            } else {
                guard key.starts(with: walk.prefix) else { continue }
                if let after = walk.after, !DirectoryWalk.bytesLess(after, key) { continue }
                return fd
            }
        }
        return nil
    }

    /// Reads and sorts the open directory `fd` and makes it the walk's current one.
    private func push(_ fd: Int32, base: [UInt8]) throws {
        guard let directory = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw walk.fs.failure("opendir", path(of: base), code)
        }
        var streamOpen = true
        defer { if streamOpen { closedir(directory) } }
        var names: [UInt8] = []
        var entries: [Entry] = []
        while true {
            // readdir returns nil at the end and on an error; only errno tells them apart.
            errno = 0
            guard let found = readdir(directory) else {
                let code = errno
                if code != 0 { throw walk.fs.failure("readdir", path(of: base), code) }
                break
            }
            var type = found.pointee.d_type
            let kept = try withUnsafePointer(to: &found.pointee.d_name) { tuple in
                try tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { cName in
                    let name = UnsafeRawBufferPointer(start: cName, count: strlen(cName)).bindMemory(to: UInt8.self)
                    if name.elementsEqual([dot]) || name.elementsEqual([dot, dot]) || name.starts(with: walk.reservedPrefix) {
                        return false
                    }
                    if type == Self.unknownType || type == Self.linkType {
                        // Without a type from readdir, ask; a symbolic link is neither a file nor a folder of the store.
                        var info = stat()
                        guard fstatat(fd, cName, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                            let code = errno
                            if code == ENOENT { return false }
                            throw walk.fs.failure("stat", path(of: base) + "/" + String(cString: cName), code)
                        }
                        let format = info.st_mode & S_IFMT
                        type = format == S_IFDIR ? Self.directoryType : (format == S_IFREG ? Self.fileType : Self.linkType)
                    }
                    guard type == Self.directoryType || type == Self.fileType else { return false }
                    entries.append(Entry(start: names.count, length: name.count, isDirectory: type == Self.directoryType))
                    names.append(contentsOf: name)
                    return true
                }
            }
            if kept && type == Self.directoryType {
                names.append(slash)
                entries[entries.count - 1].length += 1
            }
        }
        names.withUnsafeBufferPointer { bytes in
            entries.sort { DirectoryWalk.bytesLess(bytes, $0.start, $0.length, bytes, $1.start, $1.length) }
        }
        // The stream keeps its own duplicate of the descriptor: closing it would close `fd`, which
        // the walk goes on using for `openat` and `fstatat`; rewinding is never needed.
        let held = dup(fd)
        let code = errno
        streamOpen = false
        closedir(directory)
        guard held >= 0 else { throw walk.fs.failure("dup", path(of: base), code) }
        frames.append(Frame(fd: held, base: base, names: names, entries: entries))
    }

    /// The file system path of a key, or of a folder's key prefix (its trailing `/` dropped).
    private func path(of key: [UInt8]) -> String {
        let relative = key.last == slash ? key.dropLast() : key[...]
        return relative.isEmpty ? walk.root : walk.root + "/" + String(decoding: relative, as: UTF8.self)
    }

    private let slash = UInt8(ascii: "/")
    private let dot = UInt8(ascii: ".")
    // dirent.h's DT_* values (the same on Linux and the BSDs).
    private static let unknownType: UInt8 = 0
    private static let directoryType: UInt8 = 4
    private static let fileType: UInt8 = 8
    private static let linkType: UInt8 = 10
}

/// A directory store's listing pages, from one `DirectoryCursor`.
// @unchecked Sendable: asked by one iterator at a time, one call after another.
final class DirectoryPages<Element: Sendable>: ListingPages, @unchecked Sendable {
    private let walk: DirectoryWalk
    private let pageSize: Int
    private let take: @Sendable (DirectoryCursor) throws -> Element?
    private var cursor: DirectoryCursor?
    private var finished = false

    /// `take` reads one entry from the cursor, nil when it is done.
    init(walk: DirectoryWalk, pageSize: Int, take: @escaping @Sendable (DirectoryCursor) throws -> Element?) {
        self.walk = walk
        self.pageSize = max(1, pageSize)
        self.take = take
    }

    func nextPage() async throws -> [Element]? {
        if finished { return nil }
        let page = try await Blocking.run { [self] in
            let cursor = try self.cursor ?? DirectoryCursor(walk)
            self.cursor = cursor
            var page: [Element] = []
            page.reserveCapacity(pageSize)
            while page.count < pageSize, let entry = try take(cursor) { page.append(entry) }
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
