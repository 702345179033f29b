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
    public func encoded() throws -> Data { try LayoutJSON.encode(self) }

    /// Reads a lock, refusing another format or a newer version; `name` (its key) is used in errors.
    public static func decode(_ data: Data, name: String) throws -> JobLock {
        try LayoutJSON.decode(JobLock.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}

/// Restore resume state, `_ktape/restore/<target cluster>/<topic>+<partition>.json` (or in
/// `--state-dir`): the next source offset to produce for one source partition.
public struct RestoreProgress: Codable, Equatable, Sendable {
    public static let formatName = "ktape-restore-progress"
    public static let currentVersion = 1

    public var format: String = RestoreProgress.formatName
    public var version: Int = RestoreProgress.currentVersion
    public var sourceTopic: String
    public var targetTopic: String
    public var partition: Int32
    /// Source offset of the next record to produce; every record before it is delivered.
    public var nextSourceOffset: Int64
    /// The restore's settings hash (regexes, time range, as-of), so a changed restore does not resume.
    public var configHash: String
    public var updatedAt: Date

    public init(sourceTopic: String, targetTopic: String, partition: Int32, nextSourceOffset: Int64,
                configHash: String, updatedAt: Date) {
        self.sourceTopic = sourceTopic
        self.targetTopic = targetTopic
        self.partition = partition
        self.nextSourceOffset = nextSourceOffset
        self.configHash = configHash
        self.updatedAt = updatedAt
    }

    public func encoded() throws -> Data { try LayoutJSON.encode(self) }

    public static func decode(_ data: Data, name: String) throws -> RestoreProgress {
        try LayoutJSON.decode(RestoreProgress.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}
