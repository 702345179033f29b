import Foundation
import ObjectStore

/// A store whose listings leave out the keys `hide` names, while gets and heads still find them: a
/// listing taken just before a backup wrote those objects, read back after it finished.
// @unchecked Sendable: its mutable state is under `lock`.
public final class ListingLagStore: ForwardingStore, @unchecked Sendable {
    public let forwardee: any ObjectStore
    private let lock = NSLock()
    private var hidden: Set<String> = []

    public init(_ forwardee: any ObjectStore = MemoryStore()) { self.forwardee = forwardee }

    public func hide(_ key: String) { lock.withLock { _ = hidden.insert(key) } }

    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        var page = try await forwardee.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
        let hidden = lock.withLock { self.hidden }
        page.objects.removeAll { hidden.contains($0.key) }
        return page
    }
}
