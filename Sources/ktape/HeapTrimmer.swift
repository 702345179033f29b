import Foundation
import Synchronization

/// glibc's malloc_trim (<malloc.h>, which Swift's Glibc module does not export).
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32

/// Hands the heap's free pages back to the system a few times a second while records stream
/// through (backup, and restore once it produces). Buffers up to the mmap threshold are kept in the
/// heap for reuse (see KtapeMain), and the buffers of many sizes a stream goes through left free
/// pages between live ones that glibc keeps: a backup's peak grew with the data it read, and by
/// tens of MiB from one run to the next. Not for ls, verify or planning: trimming a heap of a
/// million small objects four times a second cost a tenth of their CPU.
enum HeapTrimmer {
    private static let started = Mutex(false)

    /// Starts the trimming thread, once per process.
    static func start(every interval: Duration = .milliseconds(250)) {
        guard
            started.withLock({ running in
                defer { running = true }
                return !running
            })
        else { return }
        let micros = UInt32(interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        Thread.detachNewThread {
            while true {
                usleep(micros)
                _ = glibcMallocTrim(0)
            }
        }
    }
}
