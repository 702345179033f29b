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
struct DirectoryWalk {
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

    /// Walks the directory `relative` (a key prefix without its trailing `/`, empty for the root);
    /// returns false when `visit` asked to stop.
    func walk(relative: String, visit: (ObjectSummary) -> Bool) -> Bool {
        let path = relative.isEmpty ? root : root + "/" + relative
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        guard let directory = fdopendir(fd) else {
            close(fd)
            return true
        }
        defer { closedir(directory) }
        let base: [UInt8] = relative.isEmpty ? [] : Array(relative.utf8) + [slash]
        var entries: [Entry] = []
        while let found = readdir(directory) {
            var entry = Entry(name: Self.name(of: found), type: found.pointee.d_type)
            if entry.name == [dot] || entry.name == [dot, dot] || entry.name.starts(with: reservedPrefix) { continue }
            if entry.type == Self.unknownType || entry.type == Self.linkType {
                // Without a type from readdir, ask; a symbolic link is neither a file nor a folder of the store.
                var info = stat()
                guard fstatat(fd, entry.name.map { CChar(bitPattern: $0) } + [0], &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let format = info.st_mode & S_IFMT
                entry.type = format == S_IFDIR ? Self.directoryType : (format == S_IFREG ? Self.fileType : Self.linkType)
            }
            guard entry.type == Self.directoryType || entry.type == Self.fileType else { continue }
            if entry.type == Self.directoryType { entry.sortKey.append(slash) }
            entries.append(entry)
        }
        entries.sort { Self.bytesLess($0.sortKey, $1.sortKey) }
        for entry in entries {
            let key = base + entry.name
            if entry.type == Self.directoryType {
                let below = key + [slash]
                guard prefix.starts(with: below) || below.starts(with: prefix) else { continue }
                if let after, Self.bytesLess(below, after), !after.starts(with: below) { continue }
                if !walk(relative: String(decoding: key, as: UTF8.self), visit: visit) { return false }
            } else {
                guard key.starts(with: prefix) else { continue }
                if let after, !Self.bytesLess(after, key) { continue }
                var info = stat()
                guard fstatat(fd, entry.name.map { CChar(bitPattern: $0) } + [0], &info, AT_SYMLINK_NOFOLLOW) == 0,
                    info.st_mode & S_IFMT == S_IFREG
                else { continue }
                let object = ObjectSummary(
                    key: String(decoding: key, as: UTF8.self), size: Int64(info.st_size),
                    etag: LocalDirectoryStore.etag(of: info), lastModified: LocalDirectoryStore.modified(info))
                if !visit(object) { return false }
            }
        }
        return true
    }

    private struct Entry {
        var name: [UInt8]
        var type: UInt8
        /// The name, with `/` appended for a directory.
        var sortKey: [UInt8]

        init(name: [UInt8], type: UInt8) {
            self.name = name
            self.type = type
            sortKey = name
        }
    }

    private let slash = UInt8(ascii: "/")
    private let dot = UInt8(ascii: ".")
    // dirent.h's DT_* values (the same on Linux and the BSDs).
    private static let unknownType: UInt8 = 0
    private static let directoryType: UInt8 = 4
    private static let fileType: UInt8 = 8
    private static let linkType: UInt8 = 10

    private static func name(of entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
        withUnsafePointer(to: &entry.pointee.d_name) { tuple in
            tuple.withMemoryRebound(to: UInt8.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { bytes in
                Array(UnsafeBufferPointer(start: bytes, count: strlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self))))
            }
        }
    }

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
