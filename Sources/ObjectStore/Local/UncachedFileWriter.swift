#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a new file around the page cache (O_DIRECT) where the file system allows it.
///
/// A buffered write copies every byte into the page cache, and the fsync after it waits for the
/// kernel to write those pages back; for objects nobody reads again soon that only evicts pages
/// others need (on a Kafka host, the broker's). Backing up 1 GB into a directory store took
/// 1.6-2.0 s of system CPU that way, and 0.75-0.9 s with direct writes. Direct writes go from an
/// aligned staging buffer; the tail that is not a whole block is written buffered (O_DIRECT
/// cleared with fcntl), and the caller's fsync makes the file and its size durable as before.
/// Where the file system refuses O_DIRECT (older tmpfs, some FUSE and overlay mounts), at open or
/// at a write, the file is written buffered from there on, with the same result.
final class UncachedFileWriter {
    /// Block size direct I/O is aligned to: a multiple of every common logical block size.
    static let alignment = 4096
    static let stagingSize = 1 << 20
    /// Linux's O_DIRECT, which Glibc's Swift module leaves out (it needs _GNU_SOURCE); its value
    /// differs between architectures.
    #if os(Linux) && (arch(x86_64) || arch(i386))
        static let directFlag: Int32? = 0o40000
    #elseif os(Linux) && (arch(arm64) || arch(arm))
        static let directFlag: Int32? = 0o200000
    #else
        static let directFlag: Int32? = nil
    #endif

    let fd: Int32
    private let path: String
    private let fs: FileSystem
    private var direct: Bool
    private var staging: UnsafeMutableRawPointer?
    private var staged = 0

    /// Opens `path` exclusively (it must not exist); `uncached: false` writes through the cache.
    init(creating path: String, fs: FileSystem, uncached: Bool = true) throws {
        self.path = path
        self.fs = fs
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        var fd: Int32 = -1
        if uncached, let directFlag = Self.directFlag {
            fd = open(path, flags | directFlag, 0o644)
            if fd == -1 && errno != EINVAL { throw fs.failure("open", path) }
        }
        if fd == -1 { fd = try fs.check("open", path) { open(path, flags, 0o644) } }
        self.fd = fd
        direct = Self.directFlag.map { fcntl(fd, F_GETFL) & $0 != 0 } ?? false
    }

    /// Whether writes still bypass the page cache.
    var isUncached: Bool { direct }

    deinit { staging?.deallocate() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard direct, let base = bytes.baseAddress else { return try writeAll(bytes) }
        if staging == nil { staging = .allocate(byteCount: Self.stagingSize, alignment: Self.alignment) }
        var offset = 0
        while offset < bytes.count, let staging {
            let take = min(Self.stagingSize - staged, bytes.count - offset)
            (staging + staged).copyMemory(from: base + offset, byteCount: take)
            staged += take
            offset += take
            if staged == Self.stagingSize { try flushStaged(final: false) }
            // The device refused direct I/O after all: the rest goes straight through the cache.
            if !direct { return try writeAll(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
        }
    }

    /// Writes what is staged; call once, before fsync.
    func finish() throws {
        if direct { try flushStaged(final: true) }
    }

    /// Writes the staged whole blocks directly; with `final`, the tail too (buffered).
    private func flushStaged(final: Bool) throws {
        guard let staging, staged > 0 else { return }
        let whole = staged - staged % Self.alignment
        var written = 0
        while written < whole {
            let result = posixWrite(fd, staging + written, whole - written)
            if result == -1 && errno == EINTR { continue }
            if result == -1 && errno == EINVAL { break }
            if result == -1 { throw fs.failure("write", path) }
            written += result
            // A short direct write leaves the rest misaligned: finish it buffered.
            if result == 0 || result % Self.alignment != 0 { break }
        }
        if written < whole || final {
            try bufferedFromHere()
            try writeAll(UnsafeRawBufferPointer(start: staging + written, count: staged - written))
            staged = 0
            return
        }
        staged -= whole
        if staged > 0 { staging.copyMemory(from: staging + whole, byteCount: staged) }
    }

    private func bufferedFromHere() throws {
        guard direct, let directFlag = Self.directFlag else { return }
        direct = false
        let flags = try fs.check("fcntl", path) { fcntl(fd, F_GETFL) }
        try fs.check("fcntl", path) { fcntl(fd, F_SETFL, flags & ~directFlag) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let result = posixWrite(fd, base + done, bytes.count - done)
            if result == -1 && errno == EINTR { continue }
            if result == -1 { throw fs.failure("write", path) }
            if result == 0 { throw fs.failure("write", path, EIO) }
            done += result
        }
    }
}

private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
