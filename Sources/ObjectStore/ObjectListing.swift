/// Every entry of a listing under a prefix, one page fetched at a time.
public struct PagedListing<Element: Sendable>: AsyncSequence, Sendable {
    /// A fresh source of pages for each iteration.
    let pages: @Sendable () -> any ListingPages<Element>

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pages: any ListingPages<Element>
        var buffer: [Element] = []
        var index = 0

        public mutating func next() async throws -> Element? {
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

/// Every object under a prefix (continuation tokens followed for you).
public typealias ObjectListing = PagedListing<ObjectSummary>

/// Every key under a prefix, with its size where the listing gives it.
public typealias KeyListing = PagedListing<ListedKey>

/// A key a listing found, with its size when the store gives sizes with its keys (S3 does; a
/// directory store would have to stat each file, and leaves it out).
public struct ListedKey: Sendable, Equatable {
    public var key: String
    public var size: Int64?

    public init(key: String, size: Int64?) {
        self.key = key
        self.size = size
    }
}

/// Where a listing's pages come from, asked one call after another.
public protocol ListingPages<Element>: AnyObject, Sendable {
    associatedtype Element: Sendable
    /// The next page (possibly empty); nil once the listing is over.
    func nextPage() async throws -> [Element]?
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

/// The keys and sizes of another listing's pages.
final class SizedKeyPages: ListingPages, Sendable {
    private let objects: any ListingPages<ObjectSummary>

    init(_ objects: any ListingPages<ObjectSummary>) { self.objects = objects }

    func nextPage() async throws -> [ListedKey]? {
        try await objects.nextPage()?.map { ListedKey(key: $0.key, size: $0.size) }
    }
}
