import Foundation
import KtapeTestSupport
import Testing
@testable import ObjectStore

struct LocalDirectoryStoreTests {
    func makeStore() throws -> (LocalDirectoryStore, String) {
        let root = NSTemporaryDirectory() + "ktape-local-" + UUID().uuidString
        return (try LocalDirectoryStore(root: root), root)
    }

    @Test(arguments: ["../x", "a/../../b", "/abs", "a//b", "./a", "a/.ktape-tmp-1", ""])
    func refusesKeysThatLeaveOrAliasTheStore(_ key: String) async throws {
        let (store, root) = try makeStore()
        do {
            try await store.put(key, body: [1])
            Issue.record("key '\(key)' was accepted")
        } catch let error as StoreError {
            #expect(error.kind == .invalidKey)
        }
        #expect(!FileManager.default.fileExists(atPath: (root as NSString).deletingLastPathComponent + "/x"))
    }

    @Test func keysAreRelativePathsAndNoTempFilesRemain() async throws {
        let (store, root) = try makeStore()
        try await store.put("topics/t/partition=0/t+0+0000000000.json", body: Array("{}\n".utf8))
        let path = root + "/topics/t/partition=0/t+0+0000000000.json"
        #expect(FileManager.default.contents(atPath: path) == Data("{}\n".utf8))
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/topics/t/partition=0")
        #expect(names == ["t+0+0000000000.json"])
        try await store.delete("topics/t/partition=0/t+0+0000000000.json")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == [".ktape-writers"])
        // This writer's journal names the one folder it wrote in.
        let journals = try FileManager.default.contentsOfDirectory(atPath: root + "/.ktape-writers")
        #expect(journals.count == 1)
        #expect(FileManager.default.contents(atPath: root + "/.ktape-writers/" + journals[0]) == Data("topics/t/partition=0\n".utf8))
    }

    /// A delete drops the folders it leaves empty; a writer (another process's store, here a second
    /// store) that has just made the same folder for its own object must still write it, as two jobs
    /// of one store, each putting and deleting its lease in `_ktape/locks/`, do.
    @Test func aWriteSurvivesAnotherWritersDeleteEmptyingItsFolder() async throws {
        let (first, root) = try makeStore()
        let second = try LocalDirectoryStore(root: root)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (store, name) in [(first, "a"), (second, "b")] {
                group.addTask {
                    for _ in 0..<400 {
                        try await store.put("_ktape/locks/\(name).json", body: [1])
                        try await store.delete("_ktape/locks/\(name).json")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/_ktape"))
    }

    /// Cleanup reads only the folders dead writers' journals name, and removes only their temp files:
    /// not a live writer's (another process's store, here a second store in this one), not an older
    /// ktape's unnamed ones, and nothing outside the store a journal may name.
    @Test func onlyDeadWritersTempFilesGo() async throws {
        let (store, root) = try makeStore()
        let live = try LocalDirectoryStore(root: root)
        try await live.put("topics/t/partition=1/t+1+0000000000.json", body: [1])
        let journals = try FileManager.default.contentsOfDirectory(atPath: root + "/.ktape-writers")
        #expect(journals.count == 1)
        let liveTemp = root + "/topics/t/partition=1/.ktape-tmp-\(journals[0])-writing"
        #expect(FileManager.default.createFile(atPath: liveTemp, contents: Data([1])))
        let outside = NSTemporaryDirectory() + "ktape-outside-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let dead = try KilledWriter.leave(root: root, folders: ["topics/t/partition=0", "."])
        try KilledWriter.leave(root: root, id: "00000000feedf00d", folders: ["../" + (outside as NSString).lastPathComponent])
        let legacy = root + "/topics/t/partition=0/.ktape-tmp-0A1B2C3D-killed-by-an-older-ktape"
        #expect(FileManager.default.createFile(atPath: legacy, contents: Data([1])))

        // A folder where a journal would be is no writer's: left alone, and no reason to fail.
        let folder = root + "/.ktape-writers/0123456789abcdef"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

        #expect(try await store.removeAbandonedWrites() == 2)
        #expect(FileManager.default.fileExists(atPath: folder))
        for temp in dead { #expect(!FileManager.default.fileExists(atPath: temp)) }
        #expect(FileManager.default.fileExists(atPath: liveTemp))
        #expect(FileManager.default.fileExists(atPath: legacy))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == [".ktape-tmp-00000000feedf00d-killed"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root + "/.ktape-writers").sorted()
                == (journals + ["0123456789abcdef"]).sorted())
        #expect(try await store.removeAbandonedWrites() == 0)
    }

    /// The lock that tells a journal live is held by another process until it dies: a shell locks the
    /// journal with flock(1) on a descriptor it keeps, and becomes sleep.
    @Test func aJournalIsLiveUntilItsProcessDies() async throws {
        let (store, root) = try makeStore()
        let temps = try KilledWriter.leave(root: root, folders: ["topics/t/partition=0"])
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9<\"$0\" && flock 9 && exec sleep 60", root + "/.ktape-writers/00000000deadbeef"]
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        // flock(1) locks after it starts: wait until the file is taken, or the test would prove nothing.
        // Waits on the condition, generously: a loaded machine can take seconds to start a process.
        var held = false
        let deadline = Date().addingTimeInterval(120)
        while !held, Date() < deadline {
            let fd = open(root + "/.ktape-writers/00000000deadbeef", O_RDONLY)
            held = flock(fd, LOCK_EX | LOCK_NB) != 0
            close(fd)
            if !held { usleep(10_000) }
        }
        #expect(held)
        #expect(try await store.removeAbandonedWrites() == 0)
        #expect(FileManager.default.fileExists(atPath: temps[0]))
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        #expect(try await store.removeAbandonedWrites() == 1)
        #expect(!FileManager.default.fileExists(atPath: temps[0]))
    }

    /// An empty journal is a writer's that has not locked it yet: it stays until a minute old.
    @Test func anEmptyJournalGoesOnlyOnceOld() async throws {
        let (store, root) = try makeStore()
        let journal = root + "/.ktape-writers/00000000c0ffee00"
        try FileManager.default.createDirectory(atPath: root + "/.ktape-writers", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: journal, contents: Data()))
        #expect(try await store.removeAbandonedWrites() == 0)
        #expect(FileManager.default.fileExists(atPath: journal))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -120)], ofItemAtPath: journal)
        #expect(try await store.removeAbandonedWrites() == 0)
        #expect(!FileManager.default.fileExists(atPath: journal))
    }

    /// A store that ended normally leaves no journal; one killed mid-write leaves both journal and temp.
    @Test func aStoreThatEndsTakesItsJournalAlong() async throws {
        let (_, root) = try makeStore()
        do {
            let store = try LocalDirectoryStore(root: root)
            try await store.put("a/b", body: [1])
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.ktape-writers").count == 1)
        }
        // The blocking thread that wrote may hold the store a moment longer.
        let deadline = Date().addingTimeInterval(60)
        while try !FileManager.default.contentsOfDirectory(atPath: root + "/.ktape-writers").isEmpty, Date() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/.ktape-writers").isEmpty)
    }

    /// A directory where an object belongs reads as no object; a create-only write there said it
    /// exists, so a lock taken that way was retried until it gave up on "other runs".
    @Test func aCreateOnlyWriteOntoADirectorySaysSo() async throws {
        let (store, root) = try makeStore()
        try FileManager.default.createDirectory(atPath: root + "/_ktape/locks/store.json", withIntermediateDirectories: true)
        await #expect(throws: StoreError.self) { _ = try await store.head("_ktape/locks/store.json") }
        let error = await #expect(throws: StoreError.self) {
            try await store.put("_ktape/locks/store.json", body: [1], options: PutOptions(ifNoneMatch: true))
        }
        #expect(error?.kind == .io)
        #expect(error?.description.contains("Is a directory") == true, "\(error?.description ?? "")")
        try await store.put("_ktape/locks/other.json", body: [1], options: PutOptions(ifNoneMatch: true))
        let again = await #expect(throws: StoreError.self) {
            try await store.put("_ktape/locks/other.json", body: [2], options: PutOptions(ifNoneMatch: true))
        }
        #expect(again?.kind == .alreadyExists)
    }

    /// A store given as a relative path is named by its absolute one: `file://ktape-demo`, which ls
    /// and verify printed, is refused when given back as --store.
    @Test func aRelativeStoreIsNamedByItsAbsolutePath() throws {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(try LocalDirectoryStore(root: "ktape-demo").location == "file://\(cwd)/ktape-demo")
        #expect(try LocalDirectoryStore(root: "./a/../ktape-demo/").location == "file://\(cwd)/ktape-demo")
        #expect(try LocalDirectoryStore(root: "/srv/backups/").location == "file:///srv/backups")
        // A given file:// URL is percent-decoded, so a `%` of the name is written escaped.
        #expect(try LocalDirectoryStore(root: "/srv/50%off").location == "file:///srv/50%25off")
        #expect(LocalDirectoryStore.absolutePath(of: "./x/../ktape-demo") == "\(cwd)/ktape-demo")
    }

    @Test func multipartStagingIsHiddenFromListings() async throws {
        let (store, _) = try makeStore()
        let id = try await store.createMultipartUpload("x", options: PutOptions())
        _ = try await store.uploadPart("x", uploadId: id, partNumber: 1, body: [1, 2])
        #expect(try await store.listAll(prefix: "").isEmpty)
        #expect(try await store.listMultipartUploads(prefix: "").map(\.key) == ["x"])
        await #expect(throws: StoreError.self) { _ = try await store.uploadPart("other", uploadId: id, partNumber: 2, body: [1]) }
    }
}

struct LocalDirectoryListingOrderTests {
    @Test func walkOrderMatchesS3ByteOrderAcrossDirectories() async throws {
        let store = try LocalDirectoryStore(root: NSTemporaryDirectory() + "ktape-order-" + UUID().uuidString)
        let keys = ["a/b", "a-c", "a0", "a/b/c", "ab", "a.d/e", "Z", "ä", "a/b-", "a/b/"]
            .filter { !$0.hasSuffix("/") && $0 != "a/b" }
        for key in keys { try await store.put(key, body: [1]) }
        let expected = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(try await store.listAll(prefix: "").map(\.key) == expected)
        var paged: [String] = []
        var token: String?
        repeat {
            let page = try await store.list(prefix: "", delimiter: nil, continuationToken: token, maxKeys: 2)
            paged += page.objects.map(\.key)
            token = page.nextToken
        } while token != nil
        #expect(paged == expected)
        #expect(try await store.listAll(prefix: "a/").map(\.key) == ["a/b-", "a/b/c"])
        await #expect(throws: StoreError.self) { _ = try await store.get("a") }
    }

    /// `objects(prefix:)` keeps one walk across its pages: every page size and prefix must still give
    /// exactly the keys, in the order, that a store listing in memory gives.
    @Test func pagesOfOneWalkGiveWhatAMemoryStoreLists() async throws {
        let store = try LocalDirectoryStore(root: NSTemporaryDirectory() + "ktape-pages-" + UUID().uuidString)
        let memory = MemoryStore()
        var keys: [String] = ["top", "t", "t-", "u/v"]
        for p in [0, 1, 2, 10, 11] {
            for offset in [0, 5, 12] { keys.append("topics/t/partition=\(p)/t+\(p)+\(offset).json") }
        }
        keys += ["topics/t2/partition=0/a", "topics/t/partition=1/sub/deeper", "topics/t/partition=1-x"]
        for key in keys {
            try await store.put(key, body: [1, 2])
            try await memory.put(key, body: [1, 2])
        }
        let prefixes = [
            "", "t", "topics/", "topics/t", "topics/t/", "topics/t/partition=1", "topics/t/partition=1/", "topics/t/partition=1/t+1+1",
            "none/"
        ]
        for prefix in prefixes {
            var expected: [ObjectSummary] = []
            for try await object in memory.objects(prefix: prefix) { expected.append(object) }
            #expect(!expected.isEmpty || prefix == "none/")
            for pageSize in [1, 2, 3, 7, 1000] {
                var listed: [ObjectSummary] = []
                for try await object in store.objects(prefix: prefix, pageSize: pageSize) { listed.append(object) }
                #expect(listed.map(\.key) == expected.map(\.key), "prefix \(prefix), pages of \(pageSize)")
                #expect(listed.allSatisfy { $0.size == 2 })
                var sized: [ListedKey] = []
                for try await key in store.sizedKeys(prefix: prefix, pageSize: pageSize) { sized.append(key) }
                #expect(sized == expected.map { ListedKey(key: $0.key, size: 2) }, "sized keys, prefix \(prefix), pages of \(pageSize)")
            }
        }
    }

    /// Reading many objects at once gives, object by object, what reading each alone gives: its bytes,
    /// or the same kind of failure (missing, not a valid key, a directory), in the order asked.
    @Test func readingManyAtOnceAnswersAsReadingEach() async throws {
        let store = try LocalDirectoryStore(root: NSTemporaryDirectory() + "ktape-each-" + UUID().uuidString)
        let memory = MemoryStore()
        for (key, body) in [("a/one", [UInt8(1)]), ("a/two/three", [2, 3]), ("b", [])] {
            try await store.put(key, body: body)
            try await memory.put(key, body: body)
        }
        let keys = ["a/two/three", "missing", "../escape", "a/one", "a/two", "b", "a/one"]
        for tested in [store as any ObjectStore, memory] {
            let together = await tested.getEach(keys)
            #expect(together.count == keys.count)
            for (key, body) in zip(keys, together) {
                do {
                    let alone = try await tested.get(key)
                    #expect(try body.get() == alone, "\(key)")
                } catch let expected as StoreError {
                    #expect(throws: StoreError.self) { _ = try body.get() }
                    if case .failure(let error as StoreError) = body { #expect(error.kind == expected.kind, "\(key)") }
                }
            }
            #expect(try together[3].get() == [1] && together[5].get() == [])
        }
    }

    /// ETags are spelled byte by byte now; stores keep the ones they were given, so the spelling
    /// must be the interpolated one it replaced, for any size, time and inode.
    @Test func etagsAreSpelledAsBefore() {
        let cases: [(Int64, Int64, Int64, UInt64)] = [
            (0, 0, 0, 0), (1, 1_700_000_000, 5, 12_345), (0xabc, 0x10, 0x0f, 0xffff),
            (Int64.max, Int64.max, 999_999_999, UInt64.max), (-1, 3, 4, 5)
        ]
        for (size, seconds, nanoseconds, inode) in cases {
            var info = stat()
            info.st_size = .init(size)
            info.st_mtim.tv_sec = .init(seconds)
            info.st_mtim.tv_nsec = .init(nanoseconds)
            info.st_ino = .init(inode)
            let expected =
                "\(String(size, radix: 16))-\(String(seconds, radix: 16))\(String(nanoseconds, radix: 16))-\(String(inode, radix: 16))"
            #expect(LocalDirectoryStore.etag(of: info) == expected)
        }
    }

    /// A listing left after its first page holds directories open; they close with it.
    @Test func anAbandonedListingClosesItsDirectories() async throws {
        let root = NSTemporaryDirectory() + "ktape-abandon-" + UUID().uuidString
        let store = try LocalDirectoryStore(root: root)
        for p in 0..<4 { try await store.put("a/b/c\(p)/d", body: [1]) }
        // Descriptors of this process open on the store's directories (not the writer's journal).
        func held() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { fd in
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)
                return target?.hasPrefix(root) == true && target?.hasPrefix(root + "/.ktape-writers/") == false
            }.count
        }
        #expect(try held() == 0)
        do {
            var iterator = store.objects(prefix: "", pageSize: 1).makeAsyncIterator()
            #expect(try await iterator.next()?.key == "a/b/c0/d")
            #expect(try held() == 4)
        }
        // The blocking thread that read the page may still be letting go of its job, which holds the walk.
        let deadline = Date().addingTimeInterval(60)
        while try held() > 0, Date() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(try held() == 0)
    }

    /// The walk takes each name's type from readdir and stats only the files it lists: what it
    /// lists must still be exactly the regular files, with the size and ETag a head reports.
    @Test func listingsHoldOnlyRegularFilesWithTheirHeads() async throws {
        let root = NSTemporaryDirectory() + "ktape-kinds-" + UUID().uuidString
        let store = try LocalDirectoryStore(root: root)
        try await store.put("d/file", body: [1, 2, 3])
        try await store.put("d/sub/other", body: [4])
        try FileManager.default.createSymbolicLink(atPath: root + "/d/link", withDestinationPath: root + "/d/file")
        try FileManager.default.createSymbolicLink(atPath: root + "/d/linked-dir", withDestinationPath: root + "/d/sub")
        #expect(mkfifo(root + "/d/fifo", 0o644) == 0)
        #expect(FileManager.default.createFile(atPath: root + "/d/.ktape-tmp-x", contents: Data([9])))
        let listed = try await store.listAll(prefix: "")
        #expect(listed.map(\.key) == ["d/file", "d/sub/other"])
        var sized: [ListedKey] = []
        for try await key in store.sizedKeys(prefix: "") { sized.append(key) }
        #expect(sized == [ListedKey(key: "d/file", size: 3), ListedKey(key: "d/sub/other", size: 1)])
        for object in listed {
            let head = try await store.head(object.key)
            #expect(object.size == head.size && object.etag == head.etag)
        }
        #expect(try await store.listAll(prefix: "d/s").map(\.key) == ["d/sub/other"])
        #expect(try await store.listAll(prefix: "d/", startAfter: "d/file").map(\.key) == ["d/sub/other"])
    }
}

/// A folder the store cannot read is not an empty one: a listing that skipped it made verify call its
/// objects missing and suggest `restore --allow-missing`, which then restored part of the records.
struct LocalDirectoryListingFailureTests {
    /// Every way of listing a store whose root lies under a regular file fails, naming the path and
    /// the system's reason (ENOTDIR, which root meets too, unlike EACCES).
    @Test func aStoreUnderARegularFileFailsEveryListingNamingWhy() async throws {
        let file = NSTemporaryDirectory() + "ktape-notdir-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(FileManager.default.createFile(atPath: file, contents: Data([1])))
        let store = try LocalDirectoryStore(root: file + "/store")
        let listings: [(String, () async throws -> Void)] = [
            ("objects", { for try await _ in store.objects(prefix: "") {} }),
            ("keys", { for try await _ in store.keys(prefix: "topics/") {} }),
            ("sized keys", { for try await _ in store.sizedKeys(prefix: "topics/t/") {} }),
            ("list", { _ = try await store.list(prefix: "", delimiter: "/", continuationToken: nil, maxKeys: 10) }),
            ("list all after", { _ = try await store.listAll(prefix: "runs/", startAfter: "runs/a") })
        ]
        for (name, listing) in listings {
            do {
                try await listing()
                Issue.record("\(name): listed a store under a regular file")
            } catch let error as StoreError {
                #expect(error.kind == .io, "\(name): \(error)")
                #expect(error.description.contains("open \(file)/store: Not a directory"), "\(name): \(error)")
            }
        }
    }

    /// Inside the store, a file where a prefix wants a folder holds no keys under it, as in S3.
    @Test func aKeyWhereAPrefixWantsAFolderListsNothing() async throws {
        let (store, _) = try LocalDirectoryStoreTests().makeStore()
        try await store.put("a", body: [1])
        #expect(try await store.listAll(prefix: "a/b/").isEmpty)
        #expect(try await store.listAll(prefix: "").map(\.key) == ["a"])
    }

    /// Removing a killed run's temp files, and listing unfinished multipart uploads, read a folder
    /// too: one that cannot be read (here a file stands where it belongs) fails rather than being
    /// taken for an empty one; a missing one is empty.
    @Test func cleanupReadsFailOnAFolderTheyCannotRead() async throws {
        let (store, root) = try LocalDirectoryStoreTests().makeStore()
        #expect(try await store.removeAbandonedWrites() == 0)
        #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
        try KilledWriter.leave(root: root, folders: ["topics/t/partition=0"])
        try FileManager.default.removeItem(atPath: root + "/topics/t/partition=0")
        #expect(FileManager.default.createFile(atPath: root + "/topics/t/partition=0", contents: Data([1])))
        #expect(FileManager.default.createFile(atPath: root + "/.ktape-multipart", contents: Data([1])))
        let removal = await #expect(throws: StoreError.self) {
            _ = try await store.removeAbandonedWrites()
        }
        #expect(
            removal?.description.contains("opendir \(root)/topics/t/partition=0: Not a directory") == true, "\(String(describing: removal))"
        )
        let uploads = await #expect(throws: StoreError.self) { _ = try await store.listMultipartUploads(prefix: "") }
        #expect(
            uploads?.description.contains("opendir \(root)/.ktape-multipart: Not a directory") == true, "\(String(describing: uploads))")
    }

    /// EACCES on a partition folder, as `chmod 000` gives a user other than its owner. Root passes any
    /// permission check, so as root this thread's file system user becomes nobody (setfsuid, which
    /// drops CAP_DAC_OVERRIDE for this thread only) while the walk runs on it.
    @Test func anUnreadableFolderFailsTheWalkRatherThanHidingItsObjects() throws {
        let root = NSTemporaryDirectory() + "ktape-denied-" + UUID().uuidString
        defer {
            chmod(root + "/topics/t/partition=0", 0o755)
            try? FileManager.default.removeItem(atPath: root)
        }
        for partition in 0..<2 {
            let folder = root + "/topics/t/partition=\(partition)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: folder + "/t+\(partition)+0.json", contents: Data([1])))
        }
        #expect(chmod(root + "/topics/t/partition=0", 0) == 0)
        let walk = DirectoryWalk(root: root, prefix: "topics/", after: nil, reservedPrefix: LocalDirectoryStore.reservedPrefix)
        let listed = try AsFileSystemUser.nobody {
            Result {
                var keys: [String] = []
                _ = try walk.walk { object in
                    keys.append(object.key)
                    return true
                }
                return keys
            }
        }
        switch listed {
        case .success(let keys):
            Issue.record("listed \(keys) with partition=0 unreadable")
        case .failure(let error):
            #expect("\(error)".contains("open \(root)/topics/t/partition=0: Permission denied"), "\(error)")
            #expect((error as? StoreError)?.kind == .io)
        }
    }
}

/// Runs work on this thread with the file system permissions of `nobody` when the process is root.
enum AsFileSystemUser {
    static func nobody<T>(_ work: () throws -> T) throws -> T {
        guard getuid() == 0 else { return try work() }
        // setfsuid is not in the Glibc module; it changes this thread's file system user only.
        typealias SetFSUID = @convention(c) (UInt32) -> Int32
        guard let symbol = dlsym(nil, "setfsuid") else {
            throw CocoaError(.featureUnsupported)
        }
        let setfsuid = unsafeBitCast(symbol, to: SetFSUID.self)
        _ = setfsuid(65534)
        defer { _ = setfsuid(0) }
        return try work()
    }
}

/// What a rerun with the same store path meets again is a configuration error (exit 2), as S3's
/// AccessDenied is: permission denied, a file where a directory belongs. Other local failures are not.
struct LocalDirectoryConfigurationErrorTests {
    @Test func aStoreUnderARegularFileIsAConfigurationError() async throws {
        let file = NSTemporaryDirectory() + "ktape-notdir-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(FileManager.default.createFile(atPath: file, contents: Data([1])))
        for root in [file, file + "/store"] {
            let store = try LocalDirectoryStore(root: root)
            let put = await #expect(throws: StoreError.self) { try await store.put("a/b", body: [1]) }
            #expect(put?.isConfigurationError == true, "\(String(describing: put))")
            #expect(put?.description.contains("Not a directory") == true, "\(String(describing: put))")
            let list = await #expect(throws: StoreError.self) { _ = try await store.listAll(prefix: "") }
            #expect(list?.isConfigurationError == true, "\(String(describing: list))")
        }
        // A missing object is not one.
        let store = try LocalDirectoryStore(root: NSTemporaryDirectory() + "ktape-none-" + UUID().uuidString)
        let get = await #expect(throws: StoreError.self) { _ = try await store.get("a") }
        #expect(get?.isConfigurationError == false)
    }

    /// A store directory the user cannot write (EACCES; as root, this thread's fsuid is nobody).
    @Test func anUnwritableStoreIsAConfigurationError() throws {
        let root = NSTemporaryDirectory() + "ktape-unwritable-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(chmod(root, 0o555) == 0)
        let fs = FileSystem(location: "file://" + root, operation: "put", key: "a/b")
        let made = try AsFileSystemUser.nobody { Result { try fs.makeDirectories(root + "/a") } }
        guard case .failure(let error as StoreError) = made else {
            Issue.record("made a directory in \(root) (mode 555): \(made)")
            return
        }
        #expect(error.isConfigurationError, "\(error)")
        #expect(error.description.contains("mkdir \(root)/a: Permission denied"), "\(error)")
    }
}
