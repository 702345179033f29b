import Foundation

/// Where the engine tells its caller what it is doing (the CLI prints these on stderr).
public struct RestoreEvents: Sendable {
    /// Something the user should know that does not stop the restore.
    public var warning: @Sendable (String) -> Void
    /// How far the whole restore is: after each partition, and every few seconds within one.
    public var progress: @Sendable (RestoreProgressReport) -> Void
    /// What the restore did to the target besides producing (a topic created, with which configs).
    public var note: @Sendable (String) -> Void

    public init(
        warning: @escaping @Sendable (String) -> Void, progress: @escaping @Sendable (RestoreProgressReport) -> Void,
        note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.warning = warning
        self.progress = progress
        self.note = note
    }

    /// Drops everything (tests).
    public static let silent = RestoreEvents(warning: { _ in }, progress: { _ in })
}

/// Progress of a restore.
public struct RestoreProgressReport: Sendable {
    /// The partition being (or last) restored, `source/p → target/p`.
    public var partition: String
    public var partitionsDone: Int
    public var partitionsTotal: Int
    /// Records produced so far in this run.
    public var producedRecords: Int64
    public var alreadyPresentRecords: Int64
}

/// The plan a run followed and what it did.
public struct RestoreResult: Sendable {
    public var plan: RestorePlan
    public var summary: RestoreSummary
}
