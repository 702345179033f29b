#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// The POSIX calls the directory store makes; each failure becomes a `StoreError` naming the path.
struct FileSystem {
    /// What every temp file's name starts with; a killed write leaves one behind.
    static let tempPrefix = ".ktape-tmp-"

    let location: String
    let operation: String
    let key: String?

    func failure(_ call: String, _ path: String, _ code: Int32 = errno) -> StoreError {
        let reason = String(cString: strerror(code))
        let kind: StoreError.Kind = code == ENOENT ? .notFound : (code == EEXIST ? .alreadyExists : .io)
        var error = StoreError(kind, operation: operation, location: location, key: key, message: "\(call) \(path): \(reason)")
        error.systemError = code
        return error
    }

    /// Retries EINTR, throws on -1.
    @discardableResult
    func check(_ call: String, _ path: String, _ body: () -> Int32) throws -> Int32 {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno == EINTR { continue }
            throw failure(call, path)
        }
    }

    /// `mkdir -p`, with mkdir(2)'s own errno: a store path under a file (ENOTDIR) or in a folder
    /// the user cannot write (EACCES) must be told from a failure a retry may cure.
    /// Another writer's delete may remove an empty folder at any moment, this one or a parent just
    /// made: such a folder is made again (a bounded number of times).
    func makeDirectories(_ path: String) throws {
        for _ in 0..<100 {
            if mkdir(path, 0o777) == 0 { return }
            switch errno {
            case EEXIST:
                // Something is there: fine if it is a directory (or a link to one).
                var info = stat()
                if stat(path, &info) == 0 {
                    guard info.st_mode & S_IFMT == S_IFDIR else { throw failure("mkdir", path, ENOTDIR) }
                    return
                }
                // Gone since (removed as empty), or a dangling link, which the last round reports.
                guard errno == ENOENT else { throw failure("mkdir", path, ENOTDIR) }
            case ENOENT where path.count > 1:
                try makeDirectories((path as NSString).deletingLastPathComponent)
            default:
                throw failure("mkdir", path)
            }
        }
        throw failure("mkdir", path, ENOTDIR)
    }

    /// Writes `chunks` to a new temp file in `directory` (around the page cache where possible),
    /// fsyncs it, and returns its path; its name starts with `prefix`. With `remaking`, a directory
    /// gone before the file could be made in it is made again: another writer's delete removes the
    /// folders it leaves empty, and may have taken this one between our mkdir and open.
    func writeTemp(
        in directory: String, prefix: String = tempPrefix, remaking: Bool = false,
        _ fill: (_ write: ([UInt8]) throws -> Void) throws -> Void
    ) throws -> String {
        let temp = directory + "/" + prefix + UUID().uuidString
        var remade = 0
        let file: UncachedFileWriter
        while true {
            do {
                file = try UncachedFileWriter(creating: temp, fs: self)
                break
            } catch let error as StoreError where remaking && error.systemError == ENOENT && remade < 100 {
                // Once the file is in it the folder is not empty, and no delete can take it.
                remade += 1
                try makeDirectories(directory)
            }
        }
        var closed = false
        defer {
            if !closed {
                close(file.fd)
                unlink(temp)
            }
        }
        try fill { bytes in try bytes.withUnsafeBytes { try file.write($0) } }
        try file.finish()
        try check("fsync", temp) { fsync(file.fd) }
        closed = true
        try check("close", temp) { close(file.fd) }
        return temp
    }

    /// Moves `temp` to `path` atomically; with `createOnly`, fails if `path` exists (link is atomic).
    func publish(_ temp: String, to path: String, createOnly: Bool) throws {
        defer { if createOnly { unlink(temp) } }
        if createOnly {
            do {
                try check("link", path) { link(temp, path) }
            } catch let error as StoreError where error.systemError == EEXIST {
                // A directory there reads as no object, so a create-only writer would retry for good.
                var info = stat()
                if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { throw failure("link", path, EISDIR) }
                throw error
            }
        } else {
            do {
                try check("rename", path) { rename(temp, path) }
            } catch {
                unlink(temp)
                throw error
            }
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    func syncDirectory(_ path: String) throws {
        let fd = try check("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try check("fsync", path) { fsync(fd) }
    }

    func read(_ path: String, range: Range<Int64>) throws -> [UInt8] {
        let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let count = Int(range.upperBound - range.lowerBound)
        // Read straight into the array's storage: zero-filling megabytes first would cost as much again.
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            while initialized < count {
                let got = try check("read", path) {
                    Int32(
                        truncatingIfNeeded: pread(
                            fd, base + initialized, min(count - initialized, 1 << 30),
                            off_t(range.lowerBound) + off_t(initialized)))
                }
                if got == 0 { break }
                initialized += Int(got)
            }
        }
    }

    /// The status and bytes of one open file, so both describe the same version of `path`.
    func readWhole(_ path: String) throws -> (stat, [UInt8]) {
        let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var info = stat()
        try check("fstat", path) { fstat(fd, &info) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure("open", path, ENOENT) }
        let count = Int(info.st_size)
        let body = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            while initialized < count {
                let got = try check("read", path) {
                    Int32(truncatingIfNeeded: pread(fd, base + initialized, count - initialized, off_t(initialized)))
                }
                if got == 0 { break }
                initialized += Int(got)
            }
        }
        return (info, body)
    }

    /// Runs `body` holding an exclusive `flock` on `lockPath` (created if missing), across processes.
    func withExclusiveLock<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        let fd = try check("open", lockPath) { open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try check("flock", lockPath) { flock(fd, LOCK_EX) }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// The names in `directory` but `.` and `..`; none when it does not exist. Any other failure
    /// throws: an unreadable folder is not an empty one.
    func names(in directory: String) throws -> [String] {
        guard let stream = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw failure("opendir", directory)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw failure("readdir", directory) }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    func status(_ path: String) throws -> stat {
        var info = stat()
        try check("stat", path) { stat(path, &info) }
        return info
    }
}
