import Gzip
import ObjectStore

/// One object being written: lines handed to a `StreamingUpload` (gzipped first, a chunk at a time,
/// when asked), which ships full parts (multipart) while the object is still being written.
/// Used from the read thread; async store calls go through `ThreadBridge`.
final class ObjectStream {
    let key: String
    private let upload: StreamingUpload
    private let gzip: GzipCompressor?
    private var chunk: [UInt8] = []
    private var compressed: [UInt8] = []
    private let chunkSize: Int

    /// Bytes handed to the stream, before compression.
    private(set) var rawBytes: Int64 = 0

    init(key: String, store: any ObjectStore, options: PutOptions, partSize: Int, concurrency: Int, gzip: Bool) throws {
        self.key = key
        upload = StreamingUpload(store: store, key: key, options: options, partSize: partSize, concurrency: concurrency)
        self.gzip = gzip ? try GzipCompressor() : nil
        // Small against a part, so an open object holds little beyond the upload's own part buffer.
        chunkSize = min(partSize, 256 * 1024)
        if gzip { chunk.reserveCapacity(chunkSize) }
    }

    func append(_ bytes: [UInt8]) throws {
        rawBytes += Int64(bytes.count)
        guard gzip != nil else {
            // Uncompressed lines go straight into the upload's part buffer: one copy, one hop per part.
            return try gather(bytes)
        }
        chunk.append(contentsOf: bytes)
        if chunk.count >= chunkSize { try ship(final: false) }
    }

    /// Hands the rest to the upload; the returned task completes the object (the caller bounds how
    /// many run at once). Any failure aborts the upload, leaving no half object behind.
    func finish() throws -> Task<StreamingUpload.Summary, Error> {
        try ship(final: true)
        let upload = self.upload
        return Task {
            do { return try await upload.finish() } catch {
                await upload.abort()
                throw error
            }
        }
    }

    /// Gives up on the object (a failed run).
    func abort() {
        let upload = self.upload
        try? ThreadBridge.wait { await upload.abort() }
    }

    /// Compresses the gathered chunk into the upload (gzip only).
    private func ship(final: Bool) throws {
        guard let gzip else { return }
        compressed.removeAll(keepingCapacity: true)
        do {
            try gzip.compress(chunk, into: &compressed)
            if final { try gzip.finish(into: &compressed) }
        } catch {
            throw BackupError.failure("compress \(key): \(error)")
        }
        chunk.removeAll(keepingCapacity: true)
        try gather(compressed)
    }

    private func gather(_ bytes: [UInt8]) throws {
        let upload = self.upload
        guard !bytes.isEmpty, try bytes.withUnsafeBytes({ try upload.gather($0) }) else { return }
        try ThreadBridge.wait { try await upload.shipFullParts() }
    }
}
