import Foundation

/// glibc's malloc_trim (<malloc.h>, which Swift's Glibc module does not export).
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32

/// Hands the heap's free pages back to the system a few times a second. Buffers up to the mmap
/// threshold are kept in the heap for reuse (see KtapeMain), and a backup's buffers of many sizes
/// left free pages between live ones that glibc keeps: a run's peak grew with the data it read,
/// and by tens of MiB from one run to the next. Returning them on a timer keeps the reuse.
enum HeapTrimmer {
    static func start(every interval: Duration = .milliseconds(250)) {
        let micros = UInt32(interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        Thread.detachNewThread {
            while true {
                usleep(micros)
                _ = glibcMallocTrim(0)
            }
        }
    }
}
