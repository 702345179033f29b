/// Runs `body` over `items` with at most `limit` calls in flight, handing each result to `collect`
/// (on the caller's task, in completion order). Store work (and broker round trips) goes faster a
/// few at a time; the limit bounds what is held at once. The first error thrown ends it.
public func forEachConcurrently<Items: Sequence, Result: Sendable>(
    _ items: Items, limit: Int, _ body: @escaping @Sendable (Items.Element) async throws -> Result,
    collect: (Result) throws -> Void
) async throws where Items.Element: Sendable {
    try await withThrowingTaskGroup(of: Result.self) { group in
        var next = items.makeIterator()
        for _ in 0..<max(1, limit) {
            guard let item = next.next() else { break }
            group.addTask { try await body(item) }
        }
        while let result = try await group.next() {
            try collect(result)
            if let item = next.next() { group.addTask { try await body(item) } }
        }
    }
}

/// `body` of every item, at most `limit` at once; the results in the order of `items`.
public func mapConcurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Result
) async throws -> [Result] {
    var results = [Result?](repeating: nil, count: items.count)
    try await forEachConcurrently(
        Array(items.enumerated()), limit: limit, { (index, item) in (index, try await body(item)) },
        collect: { results[$0.0] = $0.1 })
    return results.map { $0! }
}

/// Reads every one of `keys` from `store` with `getEach`, `perGroup` keys a call and two calls in
/// flight, and hands each key with its bytes (or its read's failure) to `body`, run in the reading
/// task; `collect` gets each result, a group at a time in the order of its keys. A directory store
/// reads a group in one thread handoff, where one per object cost more than reading a small one.
public func forEachObjectConcurrently<Result: Sendable>(
    _ keys: [String], in store: any ObjectStore, perGroup: Int,
    _ body: @escaping @Sendable (String, Swift.Result<[UInt8], any Error>) throws -> Result,
    collect: (Result) throws -> Void
) async throws {
    let size = max(1, perGroup)
    let groups = stride(from: 0, to: keys.count, by: size).map { Array(keys[$0..<min($0 + size, keys.count)]) }
    try await forEachConcurrently(
        groups, limit: 2,
        { group in try zip(group, await store.getEach(group)).map(body) },
        collect: { results in for result in results { try collect(result) } })
}
