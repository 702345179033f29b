/// An object read as ranged chunks fetched on demand, so no caller holds a whole large object.
/// The next chunk is fetched while the caller works on the current one.
public struct ObjectChunks: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let store: any ObjectStore
    let key: String
    /// The object's size when it was opened.
    public let size: Int64
    let chunkSize: Int64

    public struct AsyncIterator: AsyncIteratorProtocol {
        let store: any ObjectStore
        let key: String
        let size: Int64
        let chunkSize: Int64
        var offset: Int64 = 0
        var pending: Task<[UInt8], Error>?

        public mutating func next() async throws -> [UInt8]? {
            guard offset < size else { return nil }
            let current = pending ?? fetch(at: offset)
            pending = nil
            let chunk: [UInt8]
            do {
                chunk = try await current.value
            } catch {
                offset = size
                throw error
            }
            offset += Int64(chunk.count)
            if offset < size { pending = fetch(at: offset) }
            return chunk
        }

        fileprivate func fetch(at start: Int64) -> Task<[UInt8], Error> {
            let range = ByteRange(offset: start, length: Swift.min(chunkSize, size - start))
            let store = self.store
            let key = self.key
            let size = self.size
            return Task {
                let chunk: [UInt8]
                do {
                    chunk = try await store.get(key, range: range)
                } catch let error as StoreError where error.status == 416 {
                    throw ObjectChangedWhileRead(key: key, openedSize: size, range: range, received: 0)
                }
                // A short answer is how S3 serves a range past an object cut short since the head.
                guard chunk.count == range.length else {
                    throw ObjectChangedWhileRead(key: key, openedSize: size, range: range, received: chunk.count)
                }
                return chunk
            }
        }
    }

    /// The first chunk is requested at once, so that an object opened ahead of its turn is already
    /// on its way when it is read.
    public func makeAsyncIterator() -> AsyncIterator {
        var iterator = AsyncIterator(store: store, key: key, size: size, chunkSize: chunkSize)
        if size > 0 { iterator.pending = iterator.fetch(at: 0) }
        return iterator
    }
}

/// An object whose ranged GET no longer matches the size its head gave: it was replaced or cut
/// short while being read. Nothing of the short chunk is handed out.
public struct ObjectChangedWhileRead: Error, CustomStringConvertible {
    public let key: String
    public let openedSize: Int64
    public let range: ByteRange
    public let received: Int

    public var description: String {
        "it changed while being read: it had \(openedSize) bytes when opened, and \(range) came back as \(received) bytes"
    }
}

extension ObjectStore {
    /// Reads `key` in chunks of `chunkSize` bytes (one head, then one ranged get per chunk).
    public func chunks(_ key: String, chunkSize: Int = 8 * 1024 * 1024) async throws -> ObjectChunks {
        let info = try await head(key)
        return ObjectChunks(store: self, key: key, size: info.size, chunkSize: Int64(max(1, chunkSize)))
    }
}
