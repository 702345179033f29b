import Foundation
import Layout
import ObjectStore

/// What a test asks of a lock object: runs leave it holding no lease at the end (they never delete it).
extension ObjectStore {
    /// True when `key` is missing or holds a lease table with no lease in it.
    public func holdsNoLease(_ key: String) async throws -> Bool {
        guard try await exists(key) else { return true }
        return try LeaseTable.decode(Data(try await get(key)), name: key).leases.isEmpty
    }
}

/// The same for a lock read some other way: a directory store's file, a restore's `--state-dir`,
/// or bytes the AWS CLI printed (tests of the binary see no ktape module but this one).
public enum LeaseTables {
    public static func holdNoLease(atPath path: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return true }
        return try holdNoLease(Data(contentsOf: URL(fileURLWithPath: path)), name: path)
    }

    public static func holdNoLease(_ bytes: Data, name: String) throws -> Bool {
        try LeaseTable.decode(bytes, name: name).leases.isEmpty
    }
}
