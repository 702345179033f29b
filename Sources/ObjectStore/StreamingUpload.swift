import Checksums
import Layout

/// Streams one object into a store: `write` gathers bytes up to the part size and uploads full
/// parts concurrently (at most `concurrency` at once, so memory stays within
/// (concurrency + 1) × part size); `finish` completes the upload, or makes a single PUT when the
/// whole object fit in one part. Any failure aborts the multipart upload so nothing is left behind.
///
/// With a `PartBufferLimit`, each part buffer holds one of its slots, from its first byte until its
/// upload is done.
///
/// Use from one task at a time.
public final class StreamingUpload {
    /// What was stored.
    public struct Summary: Sendable, Equatable {
        public var key: String
        public var size: Int64
        /// CRC64NVME of the whole object, computed while it streamed through: what S3 keeps with it too.
        public var crc64nvme: CRC64NVME
        public var etag: String
        /// 0 for a single PUT.
        public var parts: Int
    }

    public let store: any ObjectStore
    public let key: String
    public let options: PutOptions
    public let partSize: Int
    public let concurrency: Int
    public let limit: PartBufferLimit?

    /// The object's likely size: the part buffer starts at it (an eighth more, at most a part) rather
    /// than growing by doubling, each step of which copies what was gathered.
    public var sizeHint = 0

    private var buffer: [UInt8] = []
    /// Whether `buffer` holds a slot of `limit` (released when it is uploaded or dropped).
    private var holdsSlot = false
    private var uploadId: String?
    private var nextPart = 1
    private var inFlight: [Task<CompletedPart, Error>] = []
    private var completed: [CompletedPart] = []
    /// The whole object's CRC64NVME, fed part by part as they ship (single PUTs: at `finish`).
    private var crc = CRC64NVME()
    private var size: Int64 = 0
    private var closed = false

    /// Runs before a write that may replace an object another writer put at the key (a replacing
    /// PUT, a multipart completion) and throws when this writer must not: a backup checks that its
    /// lease is still its own, or a run paused past it would write over the run that took over.
    public var beforeReplacing: (@Sendable () async throws -> Void)?

    public init(
        store: any ObjectStore, key: String, options: PutOptions = PutOptions(),
        partSize: Int = 16 * 1024 * 1024, concurrency: Int = 4, limit: PartBufferLimit? = nil
    ) {
        self.store = store
        self.key = key
        self.options = options
        self.partSize = max(1, partSize)
        self.concurrency = max(1, concurrency)
        self.limit = limit
    }

    /// Adds bytes to the object; uploads a part whenever one is full.
    public func write<C: Collection>(_ bytes: C) async throws where C.Element == UInt8 {
        try checkOpen()
        if let limit, !holdsSlot {
            await limit.acquire()
            holdsSlot = true
        }
        size += Int64(bytes.count)
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(partSize - buffer.count, rest.count)
            grow(toHold: buffer.count + take)
            let cut = rest.index(rest.startIndex, offsetBy: take)
            buffer.append(contentsOf: rest[..<cut])
            rest = rest[cut...]
            if buffer.count == partSize && !rest.isEmpty {
                try await failSafe {
                    try await self.shipBuffer()
                    await self.takeSlot()
                }
            }
        }
    }

    /// Adds bytes to the part being gathered without waiting, and says whether more than a whole part
    /// is gathered, which `shipFullParts()` then uploads. For a caller on a thread of its own: it
    /// crosses into async code once per part instead of once per write (and waits on this thread
    /// when it starts a buffer and the limit has no slot free).
    public func gather(_ bytes: UnsafeRawBufferPointer) throws -> Bool {
        try checkOpen()
        if let limit, !holdsSlot {
            limit.acquireBlocking()
            holdsSlot = true
        }
        size += Int64(bytes.count)
        grow(toHold: buffer.count + bytes.count)  // a part may overhang by one write
        buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        return buffer.count > partSize
    }

    /// Uploads every whole part gathered, keeping the overhang (and an object of exactly one part,
    /// which `finish` sends as a single PUT).
    public func shipFullParts() async throws {
        try checkOpen()
        try await failSafe {
            while self.buffer.count > self.partSize {
                if self.buffer.capacity <= 2 * self.partSize {
                    // The usual overhang, a write past the part: the buffer goes as the part, uncopied.
                    let rest = Array(self.buffer[self.partSize...])
                    self.buffer.removeLast(rest.count)
                    try await self.shipBuffer()
                    await self.takeSlot()
                    self.grow(toHold: rest.count)
                    self.buffer.append(contentsOf: rest)
                } else {
                    // A record of many parts: each goes out at its own size and the rest moves down in
                    // place. Sent as the part, the buffer kept its whole capacity in flight, part after
                    // part: a 60 MiB record took 351 MiB with 8 MiB parts.
                    let part = Array(self.buffer[..<self.partSize])
                    self.buffer.removeFirst(self.partSize)
                    try await self.ship(part)
                    await self.takeSlot()
                }
            }
            if self.buffer.capacity > 2 * self.partSize {
                var fitted: [UInt8] = []
                fitted.reserveCapacity(max(self.buffer.count, self.partSize))
                fitted.append(contentsOf: self.buffer)
                self.buffer = fitted
            }
        }
    }

    /// Completes the object and returns its size and CRC64NVME.
    public func finish() async throws -> Summary {
        try checkOpen()
        closed = true
        guard uploadId != nil else {
            crc.update(buffer)
            defer { dropBuffer() }
            let result = try await putFenced(buffer)
            return Summary(key: key, size: size, crc64nvme: crc, etag: result.etag, parts: 0)
        }
        return try await failSafe {
            if !self.buffer.isEmpty { try await self.shipBuffer() }
            self.dropBuffer()
            for task in self.inFlight { self.completed.append(try await task.value) }
            self.inFlight = []
            let parts = self.completed.sorted { $0.partNumber < $1.partNumber }
            try await self.beforeReplacing?()
            let result = try await self.store.completeMultipartUpload(self.key, uploadId: self.uploadId ?? "", parts: parts)
            return Summary(key: self.key, size: self.size, crc64nvme: self.crc, etag: result.etag, parts: parts.count)
        }
    }

    /// A single PUT is create-only, so a killed writer's PUT that the server carries out late fails
    /// instead of replacing this object. An object already there is replaced only by its ETag: a
    /// dead writer's leftover, or this PUT's own when its answer was lost (the same bytes again).
    /// (Multipart objects need no create-only fence: a rerun aborts a dead writer's uploads before it
    /// writes. Their completion, like a replacing PUT, waits on `beforeReplacing`: a live writer.)
    /// A caller's own condition is sent as it is.
    private func putFenced(_ body: [UInt8]) async throws -> PutResult {
        guard !options.ifNoneMatch, options.ifMatch == nil else { return try await store.put(key, body: body, options: options) }
        var attempt = options
        attempt.ifNoneMatch = true
        attempt.ifMatch = nil
        var conflicts = 0
        while true {
            do {
                return try await store.put(key, body: body, options: attempt)
            } catch let error as StoreError where error.isConditionFailed && conflicts < 3 {
                conflicts += 1  // another version landed between the HEAD and the PUT: look again
                try await beforeReplacing?()
                do {
                    attempt.ifMatch = try await store.head(key).etag
                    attempt.ifNoneMatch = false
                } catch let gone as StoreError where gone.isNotFound {
                    attempt.ifMatch = nil
                    attempt.ifNoneMatch = true
                }
            }
        }
    }

    /// Gives up: cancels parts in flight and aborts the multipart upload.
    public func abort() async {
        closed = true
        for task in inFlight { task.cancel() }
        for task in inFlight { _ = try? await task.value }
        inFlight = []
        dropBuffer()
        if let uploadId {
            try? await store.abortMultipartUpload(key, uploadId: uploadId)
            self.uploadId = nil
        }
    }

    /// Makes room for `needed` bytes. Before the first part ships: `sizeHint` at once (pages not yet
    /// written cost no memory), else geometrically up to one part; after it, a whole part at once,
    /// since the next one will fill up too (growing it step by step would leave a trail of freed sizes
    /// behind in the heap, every part).
    private func grow(toHold needed: Int) {
        guard needed > buffer.capacity else { return }
        let step = nextPart > 1 ? partSize : min(partSize, max(buffer.capacity * 2, 256 * 1024))
        let hinted = min(partSize, sizeHint + sizeHint / 8)
        buffer.reserveCapacity(max(needed, step, hinted))
    }

    /// A slot for the next part buffer after the last one shipped.
    private func takeSlot() async {
        guard let limit else { return }
        await limit.acquire()
        holdsSlot = true
    }

    /// Drops the part buffer and gives back its slot.
    private func dropBuffer() {
        buffer = []
        if holdsSlot { limit?.release() }
        holdsSlot = false
    }

    private func shipBuffer() async throws {
        let body = buffer
        buffer = []
        try await ship(body)
    }

    /// Uploads `body` as the next part, which takes the slot the buffer held.
    private func ship(_ body: [UInt8]) async throws {
        if uploadId == nil { uploadId = try await store.createMultipartUpload(key, options: options) }
        guard nextPart <= MultipartLimits.maxParts else {
            throw StoreError(
                .invalidRequest, operation: "upload part", location: store.location, key: key,
                message: "the object needs more than \(MultipartLimits.maxParts) parts of \(partSize) bytes; use a larger part size")
        }
        while inFlight.count >= concurrency {
            completed.append(try await inFlight.removeFirst().value)
        }
        crc.update(body)  // ~12 GB/s: cheap enough to do here, in part order
        let slot = holdsSlot ? limit : nil
        holdsSlot = false
        let number = nextPart
        nextPart += 1
        let store = self.store
        let key = self.key
        let uploadId = self.uploadId ?? ""
        inFlight.append(
            Task {
                defer { slot?.release() }
                return try await store.uploadPart(key, uploadId: uploadId, partNumber: number, body: body)
            })
    }

    /// Runs `body`; on failure aborts everything before rethrowing.
    private func failSafe<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            await abort()
            throw error
        }
    }

    private func checkOpen() throws {
        if closed {
            throw StoreError(
                .invalidRequest, operation: "write", location: store.location, key: key,
                message: "the upload is already finished or aborted")
        }
    }
}
