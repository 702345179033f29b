/// Every object under a prefix, one page fetched at a time (continuation tokens followed for you).
public struct ObjectListing: AsyncSequence, Sendable {
    public typealias Element = ObjectSummary
    /// A fresh source of pages for each iteration.
    let pages: @Sendable () -> any ListingPages

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pages: any ListingPages
        var buffer: [ObjectSummary] = []
        var index = 0

        public mutating func next() async throws -> ObjectSummary? {
            while index == buffer.count {
                guard let page = try await pages.nextPage() else { return nil }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pages: pages())
    }
}

/// Where a listing's pages come from, asked one call after another.
public protocol ListingPages: AnyObject, Sendable {
    /// The next page (possibly empty); nil once the listing is over.
    func nextPage() async throws -> [ObjectSummary]?
}

/// Pages of `ObjectStore.list`, following its continuation tokens.
// @unchecked Sendable: asked by one iterator at a time, one call after another.
final class TokenPages: ListingPages, @unchecked Sendable {
    private let store: any ObjectStore
    private let prefix: String
    private let pageSize: Int
    private var token: String?
    private var finished = false

    init(store: any ObjectStore, prefix: String, pageSize: Int) {
        self.store = store
        self.prefix = prefix
        self.pageSize = pageSize
    }

    func nextPage() async throws -> [ObjectSummary]? {
        if finished { return nil }
        let page = try await store.list(prefix: prefix, delimiter: nil, continuationToken: token, maxKeys: pageSize)
        token = page.nextToken
        finished = page.nextToken == nil
        return page.objects
    }
}
