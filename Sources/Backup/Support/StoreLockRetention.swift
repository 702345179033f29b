import Foundation
import ObjectStore

/// Builds the store's Object Lock value in a file that does not import Layout, which has its own
/// `ObjectLockMode` (the names would clash).
enum StoreLockRetention {
    static func make(compliance: Bool, until: Date) -> ObjectLockRetention {
        ObjectLockRetention(mode: compliance ? .compliance : .governance, retainUntil: until)
    }
}
