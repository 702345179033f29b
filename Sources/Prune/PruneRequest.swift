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
    public var clock: @Sendable () -> Date = { Date() }
    /// Raised by SIGTERM or SIGINT: the prune stops between deletes (what is recorded is deleted by a rerun).
    public var stop = StopSignal()

    public init(job: String?, settings: PruneSettings, store: any ObjectStore, layout: StoreLayout, basePutOptions: PutOptions = PutOptions()) {
        self.job = job
        self.settings = settings
        self.store = store
        self.layout = layout
        self.basePutOptions = basePutOptions
    }
}

/// Why a prune stopped: one line, and whether it needs new settings (exit 2), was interrupted, or failed.
public struct PruneError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case invalidInput, failure, interrupted }
    public var kind: Kind
    public var message: String
    /// The store error behind it, for its code and key.
    public var cause: (any Error)?

    static func failure(_ message: String) -> PruneError { PruneError(kind: .failure, message: message) }
    static func interrupted(_ reason: String) -> PruneError {
        PruneError(kind: .interrupted, message: "interrupted by \(reason): what is recorded as pruned is deleted by the next prune; the lease is released")
    }

    static func wrap(_ error: Error, _ context: String) -> PruneError {
        if let error = error as? PruneError { return error }
        if let error = error as? ManifestError { return PruneError(kind: .invalidInput, message: error.description) }
        let needsNewSettings = (error as? StoreError)?.isConfigurationError ?? false
        return PruneError(kind: needsNewSettings ? .invalidInput : .failure, message: "\(context): \(error)", cause: error)
    }

    public var description: String { message }
}
