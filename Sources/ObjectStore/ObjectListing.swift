/// Every object under a prefix, one page fetched at a time (continuation tokens followed for you).
public struct ObjectListing: AsyncSequence, Sendable {
    public typealias Element = ObjectSummary
    let store: any ObjectStore
    let prefix: String
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let store: any ObjectStore
        let prefix: String
        let pageSize: Int
        var buffer: [ObjectSummary] = []
        var index = 0
        var token: String?
        var finished = false

        public mutating func next() async throws -> ObjectSummary? {
            while index == buffer.count {
                if finished { return nil }
                let page = try await store.list(prefix: prefix, delimiter: nil, continuationToken: token, maxKeys: pageSize)
                buffer = page.objects
                index = 0
                token = page.nextToken
                finished = page.nextToken == nil
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, prefix: prefix, pageSize: pageSize)
    }
}
