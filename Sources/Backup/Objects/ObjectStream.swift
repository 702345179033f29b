import Failures
import Gzip
import ObjectStore

/// One object being written: lines handed to a `StreamingUpload` (gzipped first, a block at a time,
/// when asked), which ships full parts (multipart) while the object is still being written.
/// Used from the read thread; async store calls go through `ThreadBridge`.
final class ObjectStream {
    let key: String
    private let upload: StreamingUpload
    private let gzip: GzipSettings?
    private var chunk: [UInt8] = []
    private let chunkSize: Int
    /// Gzip only: the blocks handed to the pool, oldest first; each writes its output after the one
    /// before it has.
    private var blocks: [Task<Void, Error>] = []
    /// The input before the next block, which primes its deflate (its last 32 KiB).
    private var dictionary: [UInt8] = []
    private let member = MemberProgress()

    /// Bytes handed to the stream, before compression.
    private(set) var rawBytes: Int64 = 0
    /// The most input one gzip block has held (at most `chunkSize`, whatever the lines' sizes).
    private(set) var largestBlock = 0

    struct GzipSettings {
        var level: Int32
    }

    /// Blocks of one object deflating at once: enough to keep both cores busy while the read thread
    /// fills the next one, and memory at 4 × 256 KiB of input (plus output) per open object.
    static let blocksInFlight = 3

    /// `sizeHint`: the object's likely size before compression (used for plain objects only).
    init(
        key: String, store: any ObjectStore, options: PutOptions, partSize: Int, concurrency: Int, gzip: GzipSettings?,
        sizeHint: Int = 0, buffers: PartBufferLimit? = nil, beforeReplacing: (@Sendable () async throws -> Void)? = nil
    ) throws {
        self.key = key
        upload = StreamingUpload(
            store: store, key: key, options: options, partSize: partSize, concurrency: concurrency,
            limit: buffers)
        upload.beforeReplacing = beforeReplacing
        if gzip == nil { upload.sizeHint = sizeHint }
        self.gzip = gzip
        // Small against a part, so an open object holds little beyond the upload's own part buffer.
        chunkSize = min(partSize, 256 * 1024)
        if gzip != nil { chunk.reserveCapacity(chunkSize) }
    }

    func append(_ bytes: [UInt8]) throws {
        rawBytes += Int64(bytes.count)
        guard gzip != nil else {
            // Uncompressed lines go straight into the upload's part buffer: one copy, one hop per part.
            return try gather(bytes)
        }
        // A line longer than a chunk (a record of megabytes) is cut across blocks: held whole, each
        // of the blocks in flight held as much, and 16 such records took 450 MiB.
        var rest = bytes[...]
        repeat {
            let piece = rest.prefix(chunkSize - chunk.count)
            chunk.append(contentsOf: piece)
            rest = rest.dropFirst(piece.count)
            if chunk.count >= chunkSize { try ship(final: false) }
        } while !rest.isEmpty
    }

    /// Hands the rest to the upload; the returned task completes the object (the caller bounds how
    /// many run at once). Any failure aborts the upload, leaving no half object behind.
    func finish() throws -> Task<StreamingUpload.Summary, Error> {
        try ship(final: true)
        // nonisolated(unsafe): from here on the task below is the upload's only user (the writer is done).
        nonisolated(unsafe) let upload = self.upload
        let written = self.blocks.last
        return Task {
            do {
                try await written?.value
                return try await upload.finish()
            } catch {
                await upload.abort()
                throw error
            }
        }
    }

    /// Gives up on the object (a failed run).
    func abort() {
        // nonisolated(unsafe): this thread waits here while the one task below is the upload's only user.
        nonisolated(unsafe) let upload = self.upload
        let blocks = self.blocks
        try? ThreadBridge.wait {
            for block in blocks { _ = try? await block.value }
            await upload.abort()
        }
    }

    /// Deflates the gathered chunk (gzip only) on the pool rather than the read thread: deflate costs
    /// several times what reading and encoding do. Blocks are independent (`GzipBlocks`), so up to
    /// `blocksInFlight` of one object, and those of every open object, deflate side by side; each
    /// writes its output only after the block before it, so the object is the same whatever ran when.
    private func ship(final: Bool) throws {
        guard let gzip else { return }
        while blocks.count >= Self.blocksInFlight {
            let oldest = blocks.removeFirst()
            do { try ThreadBridge.wait { try await oldest.value } } catch let error as GzipError {
                throw RunFailure.failure("compress \(key): \(error)")
            }
        }
        let input = chunk
        largestBlock = max(largestBlock, input.count)
        chunk = []
        if !final { chunk.reserveCapacity(chunkSize) }
        let primer = dictionary
        dictionary = Array(input.suffix(GzipBlocks.dictionarySize))
        let previous = blocks.last
        let member = self.member
        let level = gzip.level
        // nonisolated(unsafe): blocks write to the upload one after another (each awaits the one
        // before), and the writer never writes into a gzip object's upload itself.
        nonisolated(unsafe) let upload = self.upload
        blocks.append(
            Task {
                let block = try input.withUnsafeBytes { bytes in
                    try primer.withUnsafeBytes { try GzipBlocks.deflate(bytes, dictionary: $0, level: level, last: final) }
                }
                try await previous?.value
                var out = member.started ? [] : GzipCompressor.header
                member.started = true
                member.crc = GzipBlocks.combine(member.crc, with: block)
                member.length += UInt64(block.length)
                out += block.deflated
                if final { out += GzipBlocks.trailer(crc: member.crc, length: member.length) }
                try await upload.write(out)
            })
    }

    private func gather(_ bytes: [UInt8]) throws {
        // nonisolated(unsafe): the read thread waits while the bridged task ships the parts.
        nonisolated(unsafe) let upload = self.upload
        guard !bytes.isEmpty, try bytes.withUnsafeBytes({ try upload.gather($0) }) else { return }
        try ThreadBridge.wait { try await upload.shipFullParts() }
    }
}

/// A gzip member's running CRC-32 and length, touched only by its blocks' tasks, one after another.
// @unchecked Sendable: used by one block task at a time (each awaits the one before it).
private final class MemberProgress: @unchecked Sendable {
    var started = false
    var crc: UInt32 = 0
    var length: UInt64 = 0
}
