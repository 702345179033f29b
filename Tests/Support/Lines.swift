import Foundation

/// Lines gathered from another thread (a request's warnings).
// @unchecked Sendable: `lines` is only reached under `lock`.
public final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    public init() {}
    public func append(_ line: String) { lock.withLock { lines.append(line) } }
    public var all: [String] { lock.withLock { lines } }
}
