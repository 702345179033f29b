import Failures
import Foundation

/// How many descriptors (files, sockets, pipes) the process may hold. A run holds a socket per broker
/// per Kafka client, its store's connections or open objects, and the runtime's own; at the soft limit
/// librdkafka fails to connect, a store fails to open, and libdispatch traps (SIGILL, no line) when it
/// cannot open /proc. Schedulers often hand over a soft limit of 1,024 under a far higher hard limit.
enum OpenFilesLimit {
    /// Below this, even a small run fails part-way: a 200-partition backup from three brokers needed 21-40.
    static let minimum: rlim_t = 64
    /// The kernel refuses a soft limit above fs.nr_open (1,048,576 by default), even under an unlimited hard one.
    private static let ceiling: rlim_t = 1 << 20

    /// Raises the soft limit to the hard one, as Go's runtime does: nothing in ktape, librdkafka or
    /// libcurl uses select(2), whose descriptor sets stop at 1,024. Call before anything opens one.
    static func raise() {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, ceiling)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        _ = setrlimit(resource, &limit)
    }

    /// The failure of a run started with fewer than `minimum` descriptors allowed, however far raised.
    static func tooLow() -> RunFailure? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < minimum else { return nil }
        return RunFailure.invalidInput(
            "this process may open only \(limit.rlim_cur) files (ulimit -n; hard limit \(limit.rlim_max)), and a run needs at least \(minimum) (sockets to each broker and the store, open objects): raise the hard limit (ulimit -Hn, the container's nofile limit, systemd's LimitNOFILE)"
        )
    }

    private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
