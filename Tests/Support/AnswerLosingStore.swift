import Foundation
import ObjectStore

/// Writes an object, then answers the first conditional write to a key `losing` selects as a retry
/// would be answered after its first attempt landed and its answer was lost: "precondition failed".
// @unchecked Sendable: its mutable state is under `lock`.
public final class AnswerLosingStore: ForwardingStore, @unchecked Sendable {
    let base: any ObjectStore
    let losing: @Sendable (String) -> Bool
    private let lock = NSLock()
    private var lost = 0
    public var lostAnswers: Int { lock.withLock { lost } }
    public var forwardee: any ObjectStore { base }

    public init(base: any ObjectStore, losing: @escaping @Sendable (String) -> Bool) {
        self.base = base
        self.losing = losing
    }

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        let result = try await base.put(key, body: body, options: options)
        // Only the first matching write's answer is lost.
        let lose =
            losing(key) && (options.ifMatch != nil || options.ifNoneMatch)
            && lock.withLock {
                guard lost == 0 else { return false }
                lost = 1
                return true
            }
        if lose {
            throw StoreError(.alreadyExists, operation: "put", location: location, key: key, code: "PreconditionFailed", status: 412)
        }
        return result
    }
}
