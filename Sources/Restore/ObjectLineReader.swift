import Checksums
import Failures
import Foundation
import Gzip
import Layout
import ObjectStore
import RecordFormats

/// Reads one object as lines, chunk by chunk (ranged GETs), gunzipping on the fly: at most one
/// chunk and its lines are held, never the whole object. Errors name the object and line. An
/// object's size is checked against what the manifest recorded when it is opened, its checksum
/// when the last of its bytes arrives, before the lines of that chunk are handed out.
final class ObjectLineReader {
    /// The manifest's size and checksum of an object's stored bytes.
    struct Recorded: Sendable {
        var size: Int64
        var checksum: StoredChecksum
    }

    let key: String
    private let recorded: Recorded?
    private var storedRead: Int64 = 0
    private var storedCRC = CRC64NVME()
    private let storedSHA256: SHA256Hasher?
    private let location: String
    private var chunks: ObjectChunks.AsyncIterator
    private let gunzip: GzipDecompressor?
    private var splitter = LineSplitter()
    private var pending: [[UInt8]] = []
    private var pendingIndex = 0
    /// The gzip chunk being inflated, and how much of it has been.
    private var compressed: [UInt8] = []
    private var compressedUsed = 0
    /// Plain bytes handed out per step of a gzip object: a chunk is inflated in steps of about this
    /// much, so a highly repetitive one (deflate reaches 1032:1) never sits in memory whole.
    static let plainStep = 4 << 20
    private var ended = false
    /// The plain chunk `forEachLineOfNextPiece` is splitting, and how much of it it has.
    private var plain: [UInt8] = []
    private var plainUsed = 0
    /// Room reserved for the line that takes a piece past its budget.
    private static let lineAllowance = 64 << 10
    /// Lines handed out so far; the next line's number is `linesRead + 1`.
    private(set) var linesRead = 0

    private init(key: String, location: String, chunks: ObjectChunks, gzip: Bool, recorded: Recorded?) throws {
        if case .unreadable = recorded?.checksum {
            throw RunFailure.failure(
                "object \(key): its manifest records a checksum that is not one ktape writes, so the manifest changed after the backup; nothing of the object was produced (ktape verify names the manifest's problems)"
            )
        }
        if let recorded, chunks.size != recorded.size {
            throw Self.damaged(key, "is \(chunks.size) bytes", recorded: recorded, linesRead: 0)
        }
        self.key = key
        self.recorded = recorded
        if case .sha256Prefix = recorded?.checksum { storedSHA256 = SHA256Hasher() } else { storedSHA256 = nil }
        self.location = location
        self.chunks = chunks.makeAsyncIterator()
        do {
            gunzip = gzip ? try GzipDecompressor() : nil
        } catch {
            throw RunFailure.failure("object \(key): \(error)")
        }
    }

    /// Opens `key`; a missing object is named as such (a manifest that lists it is then wrong).
    /// With `recorded`, bytes that differ from it end the reading with an error.
    static func open(
        _ key: String, store: any ObjectStore, gzip: Bool, chunkSize: Int, recorded: Recorded? = nil
    ) async throws -> ObjectLineReader {
        do {
            return try ObjectLineReader(
                key: key, location: store.location, chunks: try await store.chunks(key, chunkSize: chunkSize), gzip: gzip,
                recorded: recorded)
        } catch let error as StoreError where error.isNotFound {
            throw missing(key, from: store.location, error)
        } catch let error as StoreError {
            throw RunFailure.wrap(error, "object \(key)")
        }
    }

    private static func missing(_ key: String, from location: String, _ error: StoreError) -> RunFailure {
        .failure("object \(key) is missing from \(location) (the store's manifest lists it; deleted while the restore ran?)", cause: error)
    }

    /// The lines of the next chunk (possibly none), or nil at the end of the object.
    func nextLines() async throws -> [[UInt8]]? {
        if pendingIndex < pending.count {
            defer {
                pending = []
                pendingIndex = 0
            }
            linesRead += pending.count - pendingIndex
            return Array(pending[pendingIndex...])
        }
        if ended { return nil }
        let lines = try await fill()
        linesRead += lines.count
        return lines
    }

    /// Exactly `count` lines (fewer only at the end of the object), for companions kept in step.
    func take(_ count: Int) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while out.count < count {
            if pendingIndex == pending.count {
                if ended { break }
                pending = try await fill()
                pendingIndex = 0
                continue
            }
            let n = min(count - out.count, pending.count - pendingIndex)
            out.append(contentsOf: pending[pendingIndex..<pendingIndex + n])
            pendingIndex += n
        }
        linesRead += out.count
        return out
    }

    /// Hands the next lines to `body` as views into their chunk (valid during the call, nothing
    /// copied): those of the rest of the current chunk, up to about `budget` bytes, after telling
    /// `sizing` how many bytes they hold at most; false at the end of the object. A chunk is fetched
    /// in one ranged GET but lent to the producer in pieces, so that a batch held until its last
    /// record is delivered is small. Not to be mixed with `take`.
    func forEachLineOfNextPiece(
        budget: Int, sizing: (Int) -> Void = { _ in }, _ body: (UnsafeRawBufferPointer) -> Void
    ) async throws -> Bool {
        if plainUsed == plain.count {
            guard let next = try await nextPlainChunk() else {
                plain = []
                return false
            }
            plain = next
            plainUsed = 0
        }
        sizing(min(plain.count - plainUsed + splitter.carried, budget + Self.lineAllowance))
        let before = splitter.linesEmitted
        // At least one line a piece whatever the budget, so that every call moves on.
        plainUsed += plain[plainUsed...].withUnsafeBytes { splitter.feed($0, budget: max(budget, 1), body) }
        linesRead += splitter.linesEmitted - before
        return true
    }

    private func fill() async throws -> [[UInt8]] {
        guard let plain = try await nextPlainChunk() else { return [] }
        var lines: [[UInt8]] = []
        plain.withUnsafeBytes { bytes in splitter.feed(bytes) { lines.append(Array($0)) } }
        return lines
    }

    /// The next chunk's bytes, or the next step of a gzip chunk's (possibly none); nil (after the end
    /// checks) at the end.
    private func nextPlainChunk() async throws -> [UInt8]? {
        if ended { return nil }
        if gunzip == nil || compressedUsed == compressed.count {
            let chunk: [UInt8]?
            do {
                chunk = try await chunks.next()
            } catch let error as StoreError where error.isNotFound {
                throw Self.missing(key, from: location, error)
            } catch let error as ObjectChangedWhileRead {
                guard let recorded else { throw RunFailure.damage("object \(key) near line \(splitter.linesEmitted + 1): \(error)") }
                let what = "changed while being read (\(error.range) came back as \(error.received) bytes)"
                throw Self.damaged(key, what, recorded: recorded, linesRead: splitter.linesEmitted)
            } catch {
                // An archived object or a refused read stays exit 2: a retry meets it again.
                throw RunFailure.wrap(error, "object \(key) near line \(splitter.linesEmitted + 1)")
            }
            guard let chunk else {
                try end()
                return nil
            }
            if let recorded {
                try checkStored(chunk, against: recorded)
            }
            guard gunzip != nil else { return chunk }
            compressed = chunk
            compressedUsed = 0
        }
        guard let gunzip else { return nil }
        var plain: [UInt8] = []
        do {
            compressedUsed += try compressed[compressedUsed...].withUnsafeBytes {
                try gunzip.decompress($0, into: &plain, limit: Self.plainStep)
            }
        } catch {
            throw damagedGzip(error)
        }
        return plain
    }

    /// Adds `chunk` to the checksum, and compares it once the last byte is in.
    private func checkStored(_ chunk: [UInt8], against recorded: Recorded) throws {
        storedRead += Int64(chunk.count)
        let complete = storedRead == recorded.size
        let found: StoredChecksum
        switch recorded.checksum {
        case .crc64nvme:
            storedCRC.update(chunk)
            guard complete else { return }
            found = .crc64nvme(storedCRC)
        case .sha256Prefix:
            guard let storedSHA256 else { return }
            storedSHA256.update(chunk)
            guard complete else { return }
            found = .sha256Prefix(storedSHA256.finish().prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        case .unreadable:
            return  // refused when opened
        }
        if found != recorded.checksum {
            throw Self.damaged(key, "has \(Self.describe(found))", recorded: recorded, linesRead: splitter.linesEmitted)
        }
    }

    private static func describe(_ checksum: StoredChecksum) -> String {
        switch checksum {
        case .crc64nvme(let crc): "CRC64NVME \(crc.base64)"
        case .sha256Prefix(let prefix): "a SHA-256 starting \(Digest.hex(withUnsafeBytes(of: prefix.bigEndian, Array.init)))"
        case .unreadable: "a checksum ktape cannot read"
        }
    }

    /// An object whose stored bytes differ from the manifest's record of them. Records from earlier
    /// chunks of a large object were handed out by then (a restore produced them); the error says how many.
    private static func damaged(_ key: String, _ what: String, recorded: Recorded, linesRead: Int) -> RunFailure {
        // Those records are in the target (the state marks them, `DamageWatch`): only a restore afresh undoes them.
        let read =
            linesRead == 0
            ? "none of its records was read before this was found"
            : "its first \(linesRead) records were read and produced before this was found and may be damaged: the resume state marks them, and a rerun will not go on after them; once the object is mended, restore into an empty topic"
        return .damage(
            "object \(key) \(what), but the manifest recorded \(recorded.size) bytes with \(describe(recorded.checksum)): it was damaged or replaced after the backup; \(read); `ktape verify` checks the whole store"
        )
    }

    /// A gzip failure, placed in the stored (compressed) object, where it happened, not by the line
    /// being decoded (all of a small object's lines come out of its first bytes).
    private func damagedGzip(_ error: Error) -> RunFailure {
        let place = "byte offsets count the object as stored; \(splitter.linesEmitted) complete lines came before it"
        guard case .corrupt = error as? GzipError else { return .damage("object \(key): \(error) (\(place))") }
        // Deflate data can inflate wrong for a while before it fails to (a stored block always does):
        // only a cut-short member leaves the lines before it sound.
        let read =
            splitter.linesEmitted == 0
            ? "" : "; the lines before it may be damaged too: the resume state marks those produced, and a rerun will not go on after them"
        var failure = RunFailure.damage("object \(key): \(error) (\(place))\(read)")
        failure.cause = ObjectDamage(object: nil, provenByObject: true)
        return failure
    }

    private func end() throws {
        ended = true
        if let gunzip {
            do { try gunzip.finish() } catch {
                throw damagedGzip(error)
            }
        }
        if let rest = splitter.finish() {
            // A final line without its newline: a truncated object unless it is only whitespace.
            if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            throw RunFailure.corrupt(key, line: splitter.linesEmitted + 1, "the last line has no newline (the object is truncated)")
        }
    }
}
