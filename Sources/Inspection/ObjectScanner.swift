import Checksums
import Gzip
import Layout
import ObjectStore
import RecordFormats

/// What reading one object in full found.
struct ObjectScan: Sendable {
    /// Bytes as stored (compressed where gzip).
    var bytes: Int64 = 0
    /// CRC64NVME of the bytes as stored.
    var crc64nvme = CRC64NVME()
    /// SHA-256 of the bytes as stored, lowercase hex, when asked for (manifests before version 3).
    var sha256: String?
    /// Lines decoded without fault.
    var lines = 0
    /// The first fault in the content (gzip, a line, a truncated last line); nil when none.
    var damage: String?
}

/// Reads one object as ranged chunks (never whole), checksumming and counting every byte as stored,
/// gunzipping in small slices so one chunk's output stays small, and handing each line to a decoder.
/// A fault in the content stops the decoding but not the hashing, so the checksum is always compared.
enum ObjectScanner {
    /// Throws only `StoreError` (the object could not be read); `decodeLine` gets each line and its
    /// 1-based number, and throws to mark the content damaged.
    static func scan(
        _ key: String, store: any ObjectStore, gzip: Bool, chunkSize: Int, sha256: Bool = false,
        decodeLine: (UnsafeRawBufferPointer, Int) throws -> Void
    ) async throws -> ObjectScan {
        var scan = ObjectScan()
        let hasher = sha256 ? SHA256Hasher() : nil
        var splitter = LineSplitter()
        let gunzip: GzipDecompressor?
        do { gunzip = gzip ? try GzipDecompressor() : nil } catch {
            scan.damage = "\(error)"
            return scan
        }
        var plain: [UInt8] = []

        func feedLines(_ bytes: UnsafeRawBufferPointer) {
            guard scan.damage == nil else { return }
            do {
                try splitter.feed(bytes) { line in
                    try decodeLine(line, scan.lines + 1)
                    scan.lines += 1
                }
            } catch {
                scan.damage = "line \(scan.lines + 1): \(error)"
            }
        }

        for try await chunk in try await store.chunks(key, chunkSize: chunkSize) {
            scan.crc64nvme.update(chunk)
            hasher?.update(chunk)
            scan.bytes += Int64(chunk.count)
            guard scan.damage == nil else { continue }
            guard let gunzip else {
                chunk.withUnsafeBytes { feedLines($0) }
                continue
            }
            var start = 0
            while start < chunk.count, scan.damage == nil {
                plain.removeAll(keepingCapacity: true)
                do {
                    // One slice at a time: the output of a slice is bounded, that of a chunk is not.
                    start += try chunk[start...].withUnsafeBytes { try gunzip.decompress($0, into: &plain, limit: 0) }
                } catch {
                    scan.damage = "\(error)"
                    break
                }
                plain.withUnsafeBytes { feedLines($0) }
            }
        }
        scan.sha256 = hasher.map { Digest.hex($0.finish()) }
        if scan.damage == nil, let gunzip {
            do { try gunzip.finish() } catch { scan.damage = "\(error)" }
        }
        if scan.damage == nil, let rest = splitter.finish(),
            !rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
        {
            scan.damage = "line \(scan.lines + 1) has no newline: the object is truncated"
        }
        return scan
    }
}
