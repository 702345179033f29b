import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock
import Threads
import JobSpec

/// Everything one prune needs: validated settings and an opened store.
public struct PruneRequest: Sendable {
    public var job: String?
    public var settings: PruneSettings
    public var store: any ObjectStore
    public var layout: StoreLayout
    /// Headers every write carries (encryption, ACL, expected owner).
    public var basePutOptions: PutOptions
    public var holder: String = LockHolder.current
    public var lockLease: TimeInterval = 600
    /// How long the prune waits before dropping the lease of a killed backup of this host (`KilledBackupFence`).
    public var killedRunGrace: TimeInterval = KilledBackupFence.grace
    public var clock: @Sendable () -> Date = { Date() }
    /// Warnings, one line each.
    public var warn: @Sendable (String) -> Void = { _ in }
    /// The prune's id (`pruned.json`, the summary), as the run's log lines name it; made when nil.
    public var pruneId: String?
    /// Objects a prune plans at once: with more candidates, it reads the manifests again for each
    /// group of partitions that fits (about 430 bytes each: 100,000 hold about 41 MiB).
    public var candidatesPerPass = 100_000
    /// Raised by SIGTERM or SIGINT: the prune stops between deletes (what is recorded is deleted by a rerun).
    public var stop = StopSignal()

    public init(
        job: String?, settings: PruneSettings, store: any ObjectStore, layout: StoreLayout, basePutOptions: PutOptions = PutOptions()
    ) {
        self.job = job
        self.settings = settings
        self.store = store
        self.layout = layout
        self.basePutOptions = basePutOptions
    }
}

/// A prune ends with a `RunFailure`: it needs new settings (exit 2), was interrupted, or failed.
extension RunFailure {
    static func pruneInterrupted(_ reason: String, dryRun: Bool) -> RunFailure {
        if dryRun { return .interrupted("interrupted by \(reason): a dry run, nothing was changed", by: reason) }
        return .interrupted(
            "interrupted by \(reason): what is recorded as pruned is deleted by the next prune; the lease is released", by: reason)
    }

    /// As `wrap`, but a manifest prune cannot read is invalid input in its own words.
    static func pruneWrap(_ error: Error, _ context: String) -> RunFailure {
        if let error = error as? ManifestError { return .invalidInput(error.description) }
        return .wrap(error, context)
    }
}
