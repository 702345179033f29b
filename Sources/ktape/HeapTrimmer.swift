import Foundation

/// glibc's malloc_trim (<malloc.h>, which Swift's Glibc module does not export).
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32

/// Hands the heap's free pages back to the system four times a second in backup, restore, prune and
/// verify. Buffers up to the mmap threshold stay in the heap for reuse (see KtapeMain), and the
/// buffers of many sizes a stream goes through leave free pages between live ones that glibc keeps,
/// so a run's peak grew with its data; decoding manifests on several threads (a restore's planning,
/// verify) leaves the same between the arrays it keeps. Not for ls, whose peak stays well below the
/// others' and gains nothing from the trim's cost.
enum HeapTrimmer {
    /// Starts the trimming thread, once per process.
    static func start() { _ = thread }

    /// A static let is initialized once, on first use, whichever thread gets there first.
    private static let thread: Void = Thread.detachNewThread {
        while true {
            usleep(250_000)
            _ = glibcMallocTrim(0)
        }
    }
}
