import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock
import TimeText

/// A store with no manifest whose lock holds backup leases: ktape's first backup into it, still
/// going or killed. Its uploads finish in any order, so while it runs, a listing can show an object
/// whose predecessor is not there yet; records restored past that hole could never be put in order.
struct UnfinishedFirstBackup {
    /// Whether the store lock exists: backups made it (a sink's bucket has none), and the last run out
    /// leaves it empty, a failed run too.
    var lockExists: Bool
    /// Backup leases in the store lock, as read.
    var leases: [LeaseTable.Lease]
    /// Now by the earlier of this host's clock and the store's, as leases are judged (`LeaseKeeper`):
    /// a host whose clock runs fast does not take a live lease for expired.
    var now: Date

    static func read(store: any ObjectStore, layout: StoreLayout) async throws -> UnfinishedFirstBackup {
        let table: LeaseTable
        do {
            table = try LeaseTable.decode(Data(try await store.get(layout.storeLockKey)), name: layout.storeLockKey)
        } catch let error as StoreError where error.isNotFound {
            return UnfinishedFirstBackup(lockExists: false, leases: [], now: Date())
        } catch let error as ManifestError where error.isNewerVersion {
            throw RunFailure.invalidInput("\(error); a newer ktape is backing up into this store: restore with it")
        } catch is ManifestError {
            // Backups stop on an unreadable lock too: nothing writes under it.
            return UnfinishedFirstBackup(lockExists: true, leases: [], now: Date())
        } catch {
            throw RunFailure.wrap(error, "read the store lock \(layout.storeLockKey)")
        }
        let local = Date()
        return UnfinishedFirstBackup(
            lockExists: true, leases: table.leases.filter { $0.command == "backup" },
            now: min(local, local.addingTimeInterval(store.clockOffset)))
    }

    /// Throws when a backup whose claims reach `topics` (nil: any) is writing now: its objects are
    /// named by no manifest until it finishes, and the rerun of a restore that read part of them
    /// would find its target out of order. A killed run's lease (expired, or its process gone) is
    /// what such a run left, which the warning covers.
    func refuseWhileWriting(topics: Set<String>?) throws {
        let writing = leases.filter { lease in
            !lease.isExpired(at: now) && !LockHolder.isGone(lease.holder)
                && lease.claims.contains { claim in topics.map { $0.contains(claim.topic) } ?? true }
        }
        guard let lease = writing.first else { return }
        throw RunFailure.failure(
            "the store has no run manifest yet: the \(lease.summary) is writing its first backup (its lease runs until \(Timestamps.rfc3339(lease.expiresAt))), and what it uploaded so far may have holes; restore once it has finished (in a copy taken while it ran, once that lease has expired)"
        )
    }
}
