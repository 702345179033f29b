import Foundation
import ObjectStore

/// A memory store whose single-request puts under `slowPrefix` take `putDelay` longer and whose
/// gets take `getDelay` longer, so that work spans time and a write can still be in flight when a
/// test looks; `base` is the same store without the delays.
public final class SlowStore: ForwardingStore, Sendable {
    public let base: MemoryStore
    public let slowPrefix: String
    let putDelay: Duration
    let getDelay: Duration
    public var forwardee: any ObjectStore { base }

    public init(base: MemoryStore = MemoryStore(), slowPrefix: String, putDelay: Duration, getDelay: Duration) {
        self.base = base
        self.slowPrefix = slowPrefix
        self.putDelay = putDelay
        self.getDelay = getDelay
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        if key.hasPrefix(slowPrefix) { try await Task.sleep(for: putDelay) }
        return try await base.put(key, body: body, options: options)
    }
    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        try await Task.sleep(for: getDelay)
        return try await base.get(key, range: range)
    }
}
