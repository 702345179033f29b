import Foundation

/// Names a lock's holder as `<host> pid <n> ns <boot>/<pid namespace>`, so that a run in the same
/// PID namespace of the same boot can tell that the holder was killed (its process is gone) and
/// take the lock over at once instead of waiting out the lease. A host name alone does not say
/// that: containers share one (host networking, a fixed `--hostname`) while their PIDs name
/// different processes. Any other holder, one named without a namespace (an older ktape) too, is
/// trusted until its lease ends.
public enum LockHolder {
    public static var current: String { named(pid: ProcessInfo.processInfo.processIdentifier) }

    /// The holder name of process `pid` of this namespace.
    public static func named(pid: Int32) -> String {
        let base = "\(ProcessInfo.processInfo.hostName) pid \(pid)"
        return namespace.isEmpty ? base : "\(base) ns \(namespace)"
    }

    /// True when `holder` names a process of this namespace that no longer exists.
    public static func isGone(_ holder: String) -> Bool {
        let parts = holder.components(separatedBy: " pid ")
        guard parts.count == 2, parts[0] == ProcessInfo.processInfo.hostName else { return false }
        let process = parts[1].components(separatedBy: " ns ")
        #if os(Linux)
            // A namespace this process cannot name (no /proc of its own) is compared with none.
            let sameNamespace = !namespace.isEmpty && process.count == 2 && process[1] == namespace
        #else
            // No PID namespaces: the host name has to do.
            let sameNamespace = process.count == 1
        #endif
        guard sameNamespace, let pid = pid_t(process[0]), pid > 0, pid != ProcessInfo.processInfo.processIdentifier else { return false }
        if kill(pid, 0) != 0 { return errno == ESRCH }
        return isZombie(pid)
    }

    /// A killed process whose parent has not reaped it still answers `kill(pid, 0)`: its state in
    /// /proc says it is gone.
    private static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[close...].dropFirst(2).first == "Z"
    }

    /// This boot (8 hex digits of its id) and PID namespace (its inode); empty where /proc has neither.
    static let namespace: String = {
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?.prefix(8) ?? ""
        let pids = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))?.filter(\.isNumber) ?? ""
        return boot.count == 8 && !pids.isEmpty ? "\(boot)/\(pids)" : ""
    }()
}
