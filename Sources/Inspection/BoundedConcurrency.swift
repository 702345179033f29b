/// Runs `body` over `items` with at most `limit` calls in flight, handing each result to `collect`
/// (on the caller's task, in completion order). Bounds memory by bounding what is read at once.
func forEachConcurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async -> Result, collect: (Result) -> Void
) async {
    await withTaskGroup(of: Result.self) { group in
        var next = 0
        for _ in 0..<min(max(1, limit), items.count) {
            let item = items[next]
            group.addTask { await body(item) }
            next += 1
        }
        while let result = await group.next() {
            collect(result)
            if next < items.count {
                let item = items[next]
                group.addTask { await body(item) }
                next += 1
            }
        }
    }
}
