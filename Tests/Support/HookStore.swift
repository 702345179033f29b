import Foundation
import ObjectStore

/// A memory store that runs `hook` once, just before the first put (single or multipart) of a key
/// `matches` selects, or the first get of one with `onGet`: a test's way to make something happen
/// at an exact point of a run.
// @unchecked Sendable: its mutable state is under `lock`.
public final class HookStore: ForwardingStore, @unchecked Sendable {
    public let base: MemoryStore
    private let matches: @Sendable (String) -> Bool
    private let hook: @Sendable () async -> Void
    private let lock = NSLock()
    private var fired = false
    private let onGet: Bool
    public var forwardee: any ObjectStore { base }

    public init(
        base: MemoryStore = MemoryStore(), onGet: Bool = false, when matches: @escaping @Sendable (String) -> Bool,
        _ hook: @escaping @Sendable () async -> Void
    ) {
        self.base = base
        self.onGet = onGet
        self.matches = matches
        self.hook = hook
    }

    private func maybeFire(_ key: String, get: Bool = false) async {
        guard get == onGet, matches(key) else { return }
        let first = lock.withLock {
            defer { fired = true }
            return !fired
        }
        if first { await hook() }
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        await maybeFire(key)
        return try await base.put(key, body: body, options: options)
    }
    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        await maybeFire(key)
        return try await base.createMultipartUpload(key, options: options)
    }
    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        await maybeFire(key, get: true)
        return try await base.get(key, range: range)
    }
    public func getTagged(_ key: String) async throws -> TaggedObject {
        await maybeFire(key, get: true)
        return try await base.getTagged(key)
    }
}

/// Runs `body`, throwing when it has not ended within `seconds`: for runs whose bug is that they
/// never end. The body is not structured under the caller, so a body stuck for good cannot hold the
/// test up; it goes on in the background.
public func within<T: Sendable>(_ seconds: TimeInterval, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = FirstOnly()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            if once.claim() { continuation.resume(throwing: TestSetupError("did not end within \(Int(seconds)) s")) }
        }
        Task {
            let result: Result<T, Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            if once.claim() { continuation.resume(with: result) }
            timer.cancel()
        }
    }
}

// @unchecked Sendable: its mutable state is under `lock`.
private final class FirstOnly: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false
    func claim() -> Bool {
        lock.withLock {
            defer { taken = true }
            return !taken
        }
    }
}
