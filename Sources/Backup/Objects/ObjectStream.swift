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
    /// The last compression step handed to the pool (gzip only); each waits for the one before.
    private var compressing: Task<Void, Error>?
    private let chunkSize: Int

    /// Bytes handed to the stream, before compression.
    private(set) var rawBytes: Int64 = 0

    /// `sizeHint`: the object's likely size before compression (used for plain objects only).
    init(key: String, store: any ObjectStore, options: PutOptions, partSize: Int, concurrency: Int, gzip: Bool,
         sizeHint: Int = 0) throws {
        self.key = key
        upload = StreamingUpload(store: store, key: key, options: options, partSize: partSize, concurrency: concurrency)
        if !gzip { upload.sizeHint = sizeHint }
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
        // nonisolated(unsafe): the upload is used by one task at a time (the last compression is awaited first).
        nonisolated(unsafe) let upload = self.upload
        let compressing = self.compressing
        return Task {
            do {
                try await compressing?.value
                return try await upload.finish()
            } catch {
                await upload.abort()
                throw error
            }
        }
    }

    /// Gives up on the object (a failed run).
    func abort() {
        // nonisolated(unsafe): the upload is used only after the compression in flight has ended.
        nonisolated(unsafe) let upload = self.upload
        let compressing = self.compressing
        try? ThreadBridge.wait {
            _ = try? await compressing?.value
            await upload.abort()
        }
    }

    /// Compresses the gathered chunk into the upload (gzip only), on the pool rather than the read
    /// thread: deflate costs several times what reading and encoding do, and the open objects'
    /// chunks then compress side by side. One object's chunks go in order, at most one compressing
    /// while the next one fills, so memory stays at two chunks per open object.
    private func ship(final: Bool) throws {
        guard let gzip else { return }
        if let previous = compressing {
            do { try ThreadBridge.wait { try await previous.value } } catch let error as GzipError {
                throw BackupError.failure("compress \(key): \(error)")
            }
        }
        let input = chunk
        chunk = []
        chunk.reserveCapacity(chunkSize)
        // nonisolated(unsafe): one compression task at a time uses the compressor and the upload (the
        // previous one is awaited above), and this writer does not touch either until it ends.
        nonisolated(unsafe) let compressor = gzip
        nonisolated(unsafe) let upload = self.upload
        compressing = Task {
            var output: [UInt8] = []
            try compressor.compress(input, into: &output)
            if final { try compressor.finish(into: &output) }
            try await upload.write(output)
        }
    }

    private func gather(_ bytes: [UInt8]) throws {
        // nonisolated(unsafe): the read thread waits while the bridged task ships the parts.
        nonisolated(unsafe) let upload = self.upload
        guard !bytes.isEmpty, try bytes.withUnsafeBytes({ try upload.gather($0) }) else { return }
        try ThreadBridge.wait { try await upload.shipFullParts() }
    }
}
