#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Checksums
import Foundation
import Layout

/// An object store in a local directory: each key is the same relative path, so a directory store
/// copied with `aws s3 sync` is the same bucket. Writes are atomic (temp file in the same directory,
/// fsync, rename, fsync of the directory); multipart uploads are staged under `.ktape-multipart/`.
/// Names starting with `.ktape-` are the store's own and never listed.
public final class LocalDirectoryStore: ObjectStore, Sendable {
    public let root: String
    public let location: String
    private let minPartSize: Int
    private let journal: WriterJournal
    static let reservedPrefix = ".ktape-"
    private var stagingRoot: String { root + "/.ktape-multipart" }

    /// The directory at `path` (relative paths from the working directory), absolute and standardized.
    public static func absolutePath(of path: String) -> String {
        ((path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path) as NSString).standardizingPath
    }

    /// The `file://` URL naming the directory at `path` wherever it is given back as --store: absolute
    /// (`file://ktape-demo` is refused), `%` escaped (a given URL is percent-decoded).
    public static func url(of path: String) -> String {
        "file://" + absolutePath(of: path).replacingOccurrences(of: "%", with: "%25")
    }

    /// `root` is created by the first write, so a run that fails before writing leaves no empty store
    /// behind; reading a missing root finds nothing.
    public init(root: String, minPartSize: Int = MultipartLimits.minPartSize) throws {
        let standardized = (root as NSString).standardizingPath
        self.root = standardized.count > 1 && standardized.hasSuffix("/") ? String(standardized.dropLast()) : standardized
        self.location = Self.url(of: self.root)
        self.minPartSize = minPartSize
        self.journal = WriterJournal(root: self.root)
    }

    @discardableResult

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        let fs = try prepare(key, "put")
        let path = self.path(of: key)
        return try await Blocking.run {
            let directory = (path as NSString).deletingLastPathComponent
            try fs.makeDirectories(directory)
            return try self.journal.writing(in: directory, fs) { prefix in
                let temp = try fs.writeTemp(in: directory, prefix: prefix, remaking: true) { write in try write(body) }
                guard let expected = options.ifMatch else {
                    try fs.publish(temp, to: path, createOnly: options.ifNoneMatch)
                    return PutResult(etag: try self.etag(fs, path))
                }
                // Compare and replace under one lock of the store, which every If-Match writer of any
                // process takes (a rename alone cannot tell whether the object changed meanwhile).
                return try fs.withExclusiveLock(self.conditionalWritesLock) {
                    let current = try? self.etag(fs, path)
                    guard current == expected else {
                        unlink(temp)
                        throw StoreError(
                            .conditionFailed, operation: "put", location: self.location, key: key, code: "PreconditionFailed",
                            message: current == nil ? "the object is gone" : "the object changed", status: 412)
                    }
                    try fs.publish(temp, to: path, createOnly: false)
                    return PutResult(etag: try self.etag(fs, path))
                }
            }
        }
    }

    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        let fs = try prepare(key, "create multipart upload")
        let id = UUID().uuidString.lowercased()
        let directory = stagingRoot + "/" + id
        return try await Blocking.run {
            try fs.makeDirectories(directory)
            let info = Array((options.ifNoneMatch ? "create-only\n" : "overwrite\n").utf8) + Array(key.utf8)
            let temp = try fs.writeTemp(in: directory) { write in try write(info) }
            try fs.publish(temp, to: directory + "/upload", createOnly: false)
            return id
        }
    }

    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        let fs = try prepare(key, "upload part")
        guard (1...MultipartLimits.maxParts).contains(partNumber) else {
            throw StoreError(
                .invalidRequest, operation: "upload part", location: location, key: key, code: "InvalidArgument",
                message: "part number \(partNumber) is outside 1...\(MultipartLimits.maxParts)")
        }
        let directory = try uploadDirectory(fs, key, uploadId)
        // Part ETags only need to tell parts apart; a CRC64NVME does, at a fraction of a hash's cost.
        let etag = String(format: "%016llx", CRC64NVME.checksum(body).value)
        return try await Blocking.run {
            let temp = try fs.writeTemp(in: directory) { write in try write(body) }
            try fs.publish(temp, to: directory + "/" + Self.partName(partNumber), createOnly: false)
            let marker = try fs.writeTemp(in: directory) { write in try write(Array(etag.utf8)) }
            try fs.publish(marker, to: directory + "/" + Self.partName(partNumber) + ".etag", createOnly: false)
            return CompletedPart(partNumber: partNumber, etag: etag)
        }
    }

    @discardableResult

    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        let fs = try prepare(key, "complete multipart upload")
        let directory = try uploadDirectory(fs, key, uploadId)
        let path = self.path(of: key)
        let minPartSize = self.minPartSize
        return try await Blocking.run {
            var stored: [Int: (size: Int, etag: String)] = [:]
            for part in parts {
                let name = directory + "/" + Self.partName(part.partNumber)
                guard let info = try? fs.status(name), let etag = try? String(contentsOfFile: name + ".etag", encoding: .utf8) else {
                    continue
                }
                stored[part.partNumber] = (Int(info.st_size), etag)
            }
            let order = try MultipartRules.check(parts: parts, stored: stored, minPartSize: minPartSize, location: self.location, key: key)
            let createOnly = (try? String(contentsOfFile: directory + "/upload", encoding: .utf8))?.hasPrefix("create-only") ?? false
            let target = (path as NSString).deletingLastPathComponent
            try fs.makeDirectories(target)
            try self.journal.writing(in: target, fs) { prefix in
                let temp = try fs.writeTemp(in: target, prefix: prefix, remaking: true) { write in
                    for number in order {
                        let name = directory + "/" + Self.partName(number)
                        let size = Int64(stored[number]?.size ?? 0)
                        var offset: Int64 = 0
                        while offset < size {
                            let end = Swift.min(size, offset + 4 * 1024 * 1024)
                            try write(try fs.read(name, range: offset..<end))
                            offset = end
                        }
                    }
                }
                try fs.publish(temp, to: path, createOnly: createOnly)
            }
            try? FileManager.default.removeItem(atPath: directory)
            return PutResult(etag: ETag.multipart(partETags: parts.map(\.etag)))
        }
    }

    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        let fs = try prepare(key, "abort multipart upload")
        let directory = try uploadDirectory(fs, key, uploadId)
        try await Blocking.run { try? FileManager.default.removeItem(atPath: directory) }
    }

    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        let staging = stagingRoot
        let fs = FileSystem(location: location, operation: "list multipart uploads", key: nil)
        return try await Blocking.run {
            let ids = try fs.names(in: staging)
            return ids.compactMap { id -> MultipartUploadInfo? in
                guard let info = try? String(contentsOfFile: staging + "/" + id + "/upload", encoding: .utf8),
                    let newline = info.firstIndex(of: "\n")
                else { return nil }
                let key = String(info[info.index(after: newline)...])
                return key.hasPrefix(prefix) ? MultipartUploadInfo(key: key, uploadId: id) : nil
            }.sorted { StoreKey.utf8Less($0.key, $1.key) }
        }
    }

    public func removeAbandonedWrites() async throws -> Int {
        let fs = FileSystem(location: location, operation: "remove abandoned temp files", key: nil)
        let root = self.root
        return try await Blocking.run { try WriterJournal.removeDeadWriters(root: root, fs) }
    }

    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        let fs = try prepare(key, "get")
        let path = self.path(of: key)
        let location = self.location
        return try await Blocking.run { try Self.read(key, at: path, range: range, fs: fs, location: location) }
    }

    /// All of `keys` read on one blocking thread.
    public func getEach(_ keys: [String]) async -> [Result<[UInt8], any Error>] {
        let location = self.location
        let reads: [Result<(FileSystem, String), any Error>] = keys.map { key in Result { (try prepare(key, "get"), path(of: key)) } }
        do {
            return try await Blocking.run {
                zip(keys, reads).map { key, read in
                    read.flatMap { fs, path in Result { try Self.read(key, at: path, range: nil, fs: fs, location: location) } }
                }
            }
        } catch {
            return keys.map { _ in .failure(error) }
        }
    }

    /// The bytes of `range` (all without one) of the regular file at `path`, which holds `key`.
    private static func read(_ key: String, at path: String, range: ByteRange?, fs: FileSystem, location: String) throws -> [UInt8] {
        let info = try fs.status(path)
        guard info.st_mode & S_IFMT == S_IFREG else { throw fs.failure("open", path, ENOENT) }
        let slice = try RangeRules.slice(Int64(info.st_size), range, operation: "get", location: location, key: key)
        return try fs.read(path, range: slice)
    }

    public func getTagged(_ key: String) async throws -> TaggedObject {
        let fs = try prepare(key, "get")
        let path = self.path(of: key)
        return try await Blocking.run {
            // The ETag of the very file read: a rename meanwhile replaces the name, not this open file.
            let (info, body) = try fs.readWhole(path)
            return TaggedObject(body: body, etag: Self.etag(of: info))
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        let fs = try prepare(key, "head")
        let path = self.path(of: key)
        return try await Blocking.run {
            let info = try fs.status(path)
            guard info.st_mode & S_IFMT == S_IFREG else { throw fs.failure("stat", path, ENOENT) }
            return ObjectInfo(key: key, size: Int64(info.st_size), etag: Self.etag(of: info), lastModified: Self.modified(info))
        }
    }

    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        let root = self.root
        return try await Blocking.run {
            var found: [ObjectSummary] = []
            // Without a delimiter each object is one entry, so one more than a page is enough to know
            // whether another page follows; with one, rolled-up prefixes need the whole walk.
            let enough = delimiter == nil ? max(1, maxKeys) + 1 : Int.max
            let walk = DirectoryWalk(root: root, prefix: prefix, after: continuationToken, reservedPrefix: Self.reservedPrefix)
            _ = try walk.walk { object in
                found.append(object)
                return found.count < enough
            }
            return ListingPager.page(sortedObjects: found, prefix: prefix, delimiter: delimiter, token: continuationToken, maxKeys: maxKeys)
        }
    }

    /// One walk for the whole listing, handed out a page at a time.
    public func listingPages(prefix: String, pageSize: Int) -> any ListingPages<ObjectSummary> {
        let walk = DirectoryWalk(root: root, prefix: prefix, after: nil, reservedPrefix: Self.reservedPrefix)
        return DirectoryPages(walk: walk, pageSize: pageSize) { try $0.next() }
    }

    /// The same walk, with a `stat` per file for its size but no ETag or time made of it.
    public func sizedKeyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey> {
        let walk = DirectoryWalk(root: root, prefix: prefix, after: nil, reservedPrefix: Self.reservedPrefix)
        return DirectoryPages(walk: walk, pageSize: pageSize) { try $0.nextSized() }
    }

    /// The same walk without a `stat` per file: a file's type comes from `readdir`.
    public func keyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey> {
        let walk = DirectoryWalk(root: root, prefix: prefix, after: nil, reservedPrefix: Self.reservedPrefix)
        return DirectoryPages(walk: walk, pageSize: pageSize) { try $0.nextKey().map { ListedKey(key: $0, size: nil) } }
    }

    /// One walk from `startAfter` on: a backup lists the runs folder after the index's newest run, and
    /// paging from the start of a folder of ten thousand manifests cost it a tenth of a second.
    public func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary] {
        let root = self.root
        return try await Blocking.run {
            var found: [ObjectSummary] = []
            let walk = DirectoryWalk(root: root, prefix: prefix, after: startAfter, reservedPrefix: Self.reservedPrefix)
            _ = try walk.walk { object in
                found.append(object)
                return true
            }
            return found
        }
    }

    public func delete(_ key: String, ifMatch: String?) async throws {
        let fs = try prepare(key, "delete")
        let path = self.path(of: key)
        let root = self.root
        try await Blocking.run {
            if let expected = ifMatch {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StoreError(
                        .conditionFailed, operation: "delete", location: self.location, key: key,
                        code: "PreconditionFailed", message: "the object is gone", status: 412)
                }
                try fs.withExclusiveLock(self.conditionalWritesLock) {
                    guard (try? self.etag(fs, path)) == expected else {
                        throw StoreError(
                            .conditionFailed, operation: "delete", location: self.location, key: key,
                            code: "PreconditionFailed", status: 412)
                    }
                    if unlink(path) == -1 && errno != ENOENT { throw fs.failure("unlink", path) }
                }
            } else if unlink(path) == -1 && errno != ENOENT {
                throw fs.failure("unlink", path)
            }
            // Drop directories the delete left empty, as S3 has no directories to leave behind.
            var directory = (path as NSString).deletingLastPathComponent
            while directory.count > root.count && rmdir(directory) == 0 {
                directory = (directory as NSString).deletingLastPathComponent
            }
        }
    }

    public func delete(keys: [String]) async throws {
        for key in keys { try await delete(key) }
    }

    // MARK: helpers

    private func prepare(_ key: String, _ operation: String) throws -> FileSystem {
        try StoreKey.validate(key, operation: operation, location: location)
        if key.split(separator: "/").contains(where: { $0.hasPrefix(Self.reservedPrefix) }) {
            throw StoreError(
                .invalidKey, operation: operation, location: location, key: key,
                message: "names starting with '\(Self.reservedPrefix)' are reserved by the directory store")
        }
        return FileSystem(location: location, operation: operation, key: key)
    }

    private func path(of key: String) -> String { root + "/" + key }

    /// Every `If-Match` write and delete of any process compares and replaces under this lock.
    private var conditionalWritesLock: String { root + "/" + Self.reservedPrefix + "conditional-writes.lock" }

    private func uploadDirectory(_ fs: FileSystem, _ key: String, _ uploadId: String) throws -> String {
        let directory = stagingRoot + "/" + uploadId
        let info = try? String(contentsOfFile: directory + "/upload", encoding: .utf8)
        guard !uploadId.contains("/"), let info, info.split(separator: "\n", maxSplits: 1).last.map(String.init) == key else {
            throw StoreError(
                .notFound, operation: fs.operation, location: location, key: key, code: "NoSuchUpload",
                message: "no multipart upload \(uploadId)")
        }
        return directory
    }

    private static func partName(_ number: Int) -> String { String(format: "part-%05d", number) }

    private func etag(_ fs: FileSystem, _ path: String) throws -> String { Self.etag(of: try fs.status(path)) }

    /// Size, modification time and inode: changes whenever the content is replaced, without reading
    /// it. `<size>-<mtime seconds><nanoseconds>-<inode>` in lowercase hex, spelled byte by byte (a
    /// listing makes one per file); the spelling must not change, as stores keep ETags they were given.
    static func etag(of info: stat) -> String {
        guard info.st_size >= 0, info.st_mtim.tv_sec >= 0, info.st_mtim.tv_nsec >= 0 else {
            return
                "\(String(info.st_size, radix: 16))-\(String(info.st_mtim.tv_sec, radix: 16))\(String(info.st_mtim.tv_nsec, radix: 16))-\(String(info.st_ino, radix: 16))"
        }
        return String(unsafeUninitializedCapacity: 4 * 16 + 2) { buffer in
            var at = 0
            func hex(_ value: UInt64) {
                var digits = 1
                while digits < 16 && value >> (4 * UInt64(digits)) != 0 { digits += 1 }
                for shift in stride(from: 4 * (digits - 1), through: 0, by: -4) {
                    let nibble = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xf
                    buffer[at] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                    at += 1
                }
            }
            hex(UInt64(info.st_size))
            buffer[at] = UInt8(ascii: "-")
            at += 1
            hex(UInt64(info.st_mtim.tv_sec))
            hex(UInt64(info.st_mtim.tv_nsec))
            buffer[at] = UInt8(ascii: "-")
            at += 1
            hex(UInt64(info.st_ino))
            return at
        }
    }

    static func modified(_ info: stat) -> Date {
        Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }
}
