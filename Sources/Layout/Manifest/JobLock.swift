import Foundation

/// The content of `_ktape/locks/<job>.json`: who runs the job and until when the lease holds.
/// A run renews `expiresAt`; a killed run's lock simply expires.
public struct JobLock: Codable, Equatable, Sendable {
    public static let formatName = "ktape-lock"
    public static let currentVersion = 1

    public var format: String = JobLock.formatName
    public var version: Int = JobLock.currentVersion
    public var job: String
    public var runId: RunID
    /// Free text naming the holder (host, pid) for the error a second run prints.
    public var holder: String
    public var acquiredAt: Date
    public var expiresAt: Date

    public init(job: String, runId: RunID, holder: String, acquiredAt: Date, expiresAt: Date) {
        self.job = job
        self.runId = runId
        self.holder = holder
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }

    /// True once the lease has run out at `now` (passed in; Layout has no clock).
    public func isExpired(at now: Date) -> Bool { now >= expiresAt }

    /// Deterministic JSON, as manifests.
    public func encoded() throws -> Data { try LayoutJSON.encodeDocument(self) }

    /// Reads a lock, refusing another format or a newer version; `name` (its key) is used in errors.
    public static func decode(_ data: Data, name: String) throws -> JobLock {
        try LayoutJSON.decode(JobLock.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}
