import Failures
import Foundation
import Layout
import ObjectStore
import StoreLock
import TimeText

/// The backup leases of a store's lock, as a restore judges them. In a store with no manifest they
/// are ktape's first backup into it, still going or killed. Its uploads finish in any order, so
/// while it runs, a listing can show an object whose predecessor is not there yet; records
/// restored past that hole could never be put in order.
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
        guard let lease = writing(topics: topics).first else { return }
        throw RunFailure.failure(
            "the store has no run manifest yet: the \(lease.summary) is writing its first backup (its lease runs until \(Timestamps.rfc3339(lease.expiresAt))), and what it uploaded so far may have holes; restore once it has finished (in a copy taken while it ran, once that lease has expired)"
        )
    }

    /// In a store with manifests: one warning per live backup whose lease claims partitions of
    /// `topics` (nil: any) that no finished run recorded (`covered`, found empty or not), such as
    /// the first run of a job's other shard. The restore goes on from the finished runs, without
    /// them; a sharded job's restore would otherwise end with exit 0 and those partitions empty,
    /// said only by the counts. A partition a run found empty is the snapshot's, as any is.
    func firstBackupsUnderWay(topics: Set<String>?, covered: Set<TopicPartition>) -> [String] {
        let coveredTopics = Set(covered.map(\.topic))
        return writing(topics: topics).compactMap { lease in
            let unheld = lease.claims.compactMap { claim -> String? in
                guard topics.map({ $0.contains(claim.topic) }) ?? true else { return nil }
                guard let partitions = claim.partitions else {
                    return coveredTopics.contains(claim.topic) ? nil : "topic \(claim.topic)"
                }
                let missing = partitions.filter { !covered.contains(TopicPartition(claim.topic, $0)) }
                return missing.isEmpty ? nil : LeaseTable.Claim(topic: claim.topic, partitions: missing).description
            }
            guard !unheld.isEmpty else { return nil }
            return
                "the \(lease.summary) is backing up \(unheld.joined(separator: "; ")), which no finished run recorded yet (its lease runs until \(Timestamps.rfc3339(lease.expiresAt))): this restore has none of them; run it again once that backup has finished"
        }
    }

    /// Live backup leases that claim some of `topics` (nil: any); a killed run's is not.
    private func writing(topics: Set<String>?) -> [LeaseTable.Lease] {
        leases.filter { lease in
            !lease.isExpired(at: now) && !LockHolder.isGone(lease.holder)
                && lease.claims.contains { claim in topics.map { $0.contains(claim.topic) } ?? true }
        }
    }
}
