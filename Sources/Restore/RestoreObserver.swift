/// Watches a restore from inside, for tests that must end one at an exact moment; the command line
/// passes none, and a restore does the same with or without one.
public protocol RestoreObserver: Sendable {
    /// Called on the producing thread after each record is handed to the producer, with how many
    /// this run has handed over. An error thrown here ends the restore as a kill at that moment
    /// would, once the records handed over have landed: nothing is written after it, not even the
    /// resume state that counts them, and the restore throws that error.
    func handedOver(records: Int) throws
}

/// An observer's error on its way out of a restore (see `RestoreObserver`).
struct ObserverStop: Error {
    let error: any Error
}
