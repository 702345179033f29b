#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// The folders in which one directory store (one writer in one process) creates temp files, listed
/// in `.ktape-writers/<id>` under an flock its process holds while it lives. A journal whose lock can
/// be taken is a dead writer's (a killed run's): cleanup removes that writer's temp files, named with
/// its id, from the folders it listed, and so never reads every folder, nor touches a live write.
final class WriterJournal: Sendable {
    static let folderName = ".ktape-writers"

    let id: String
    /// What this writer's temp files' names start with.
    var tempPrefix: String { Self.tempPrefix(of: id) }
    private let root: String
    private let path: String
    private let state: Locked<State>

    struct State {
        var fd: Int32 = -1
        /// Set when the file system takes no flock: no journal is kept, since nobody could tell it live.
        var untracked = false
        var noted: Set<String> = []
        /// Temp files not yet renamed or removed; a journal goes at exit only when none are left.
        var open = 0
    }

    init(root: String) {
        self.root = root
        self.id = String(format: "%016llx", UInt64.random(in: .min ... .max))
        self.path = root + "/" + Self.folderName + "/" + id
        self.state = Locked(State())
    }

    deinit { Self.retire(path: path, state: state) }

    static func tempPrefix(of id: String) -> String { FileSystem.tempPrefix + id + "-" }

    /// Runs `body`, which makes a temp file in `directory` (a folder under the root) and renames or
    /// removes it, after journalling the folder.
    func writing<T>(in directory: String, _ fs: FileSystem, _ body: (_ tempPrefix: String) throws -> T) throws -> T {
        try state.withLock { state in
            state.open += 1
            do { try note(directory, &state, fs) } catch {
                state.open -= 1
                throw error
            }
        }
        defer { state.withLock { $0.open -= 1 } }
        return try body(tempPrefix)
    }

    private func note(_ directory: String, _ state: inout State, _ fs: FileSystem) throws {
        guard !state.untracked, !state.noted.contains(directory) else { return }
        if state.fd < 0 {
            guard let fd = try create(fs) else {
                state.untracked = true
                return
            }
            state.fd = fd
            Self.registry.withLock { $0[path] = self.state }
        }
        let relative = directory.hasPrefix(root + "/") ? String(directory.dropFirst(root.count + 1)) : "."
        let line = Array((relative + "\n").utf8)
        try line.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let wrote = try fs.check("write", path) {
                    Int32(truncatingIfNeeded: write(state.fd, bytes.baseAddress! + done, bytes.count - done))
                }
                done += Int(wrote)
            }
        }
        // Durable before the temp file exists, so a crash cannot leave a temp file no journal names.
        try fs.check("fdatasync", path) { fdatasync(state.fd) }
        state.noted.insert(directory)
    }

    /// Creates and locks the journal; nil where the file system has no flock.
    private func create(_ fs: FileSystem) throws -> Int32? {
        try fs.makeDirectories(root + "/" + Self.folderName)
        let fd = try fs.check("open", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644) }
        // A cleaner may hold the new, empty file for a moment; it leaves empty journals be.
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK || errno == EINTR {
                usleep(1000)
                continue
            }
            close(fd)
            unlink(path)
            return nil
        }
        try fs.syncDirectory(root + "/" + Self.folderName)
        return fd
    }

    /// Removes the temp files of writers that died, from the folders their journals name, and then
    /// the journals; returns how many temp files went.
    static func removeDeadWriters(root: String, _ fs: FileSystem) throws -> Int {
        let folder = root + "/" + folderName
        var removed = 0
        for name in try fs.names(in: folder) where !name.hasPrefix(".") {
            let journal = folder + "/" + name
            let fd = open(journal, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                throw fs.failure("open", journal)
            }
            defer { close(fd) }
            // Only a regular file is a journal: anything else there is no writer's, and stays.
            var status = stat()
            guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            // Not taken: its writer lives (or this file system cannot tell, and a live write must stay).
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            let (info, contents) = try fs.readWhole(journal)
            // Empty: a writer between creating and locking it, or one killed then (gone after a minute).
            if contents.isEmpty {
                if Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 60 { unlink(journal) }
                continue
            }
            let prefix = tempPrefix(of: name)
            for line in contents.split(separator: UInt8(ascii: "\n")) {
                let relative = String(decoding: line, as: UTF8.self)
                // Only folders under the root: a journal is a file anyone who can write the store can edit.
                guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else { continue }
                let directory = relative == "." ? root : root + "/" + relative
                for temp in try fs.names(in: directory) where temp.hasPrefix(prefix) {
                    if unlink(directory + "/" + temp) == 0 {
                        removed += 1
                    } else if errno != ENOENT {
                        throw fs.failure("unlink", directory + "/" + temp)
                    }
                }
            }
            if unlink(journal) != 0 && errno != ENOENT { throw fs.failure("unlink", journal) }
        }
        return removed
    }

    // MARK: - Ending

    /// Journals of this process, by path: removed at a normal exit unless a temp file is still out.
    private static let registry: Locked<[String: Locked<State>]> = {
        atexit { WriterJournal.retireAll() }
        return Locked([:])
    }()

    private static func retireAll() {
        for (path, state) in registry.withLock({ $0 }) { retire(path: path, state: state) }
    }

    private static func retire(path: String, state: Locked<State>) {
        let kept = state.withLock { state -> Bool in
            guard state.fd >= 0 else { return false }
            // A temp file still out stays named by the journal; once the lock goes, cleanup takes both.
            if state.open == 0 { unlink(path) }
            close(state.fd)
            state.fd = -1
            return true
        }
        if kept { registry.withLock { _ = $0.removeValue(forKey: path) } }
    }
}
