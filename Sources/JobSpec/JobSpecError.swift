import Foundation
import Layout

/// A job setting refused; one line naming the key and where it came from, e.g.
/// `nightly.yaml:7: flush-size: must be at least 1 (got 0)` or `--part-size: must be at least 5 MiB (got 1048576)`.
public struct JobSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where and which key: `nightly.yaml:7: flush-size`, `--part-size`, `nightly.yaml: store`.
    public var location: String
    public var reason: String

    public init(location: String, reason: String) {
        self.location = location
        self.reason = reason
    }

    public var description: String { "\(location): \(reason)" }
}
