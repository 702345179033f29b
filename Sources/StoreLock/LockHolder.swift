import Foundation

/// Names a lock's holder as `<host> pid <n>`, so that a run on the same host can tell that the
/// holder was killed (its process is gone) and take the lock over at once instead of waiting out
/// the lease. A holder on another host is trusted until its lease ends.
public enum LockHolder {
    public static var current: String {
        "\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier)"
    }

    /// True when `holder` names a process of this host that no longer exists.
    public static func isGone(_ holder: String) -> Bool {
        let parts = holder.components(separatedBy: " pid ")
        guard parts.count == 2, parts[0] == ProcessInfo.processInfo.hostName, let pid = pid_t(parts[1]), pid > 0,
            pid != ProcessInfo.processInfo.processIdentifier
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
