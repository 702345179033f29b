import Failures
import Foundation
import Kafka
import Layout
import TimeText

/// Where each destination's restore stands before anything is produced: its saved state (refused when
/// written under other settings), its target's end offset, and, for one with a state, how many of its
/// records the target holds (the tail, read: the end offset is only a hint). Read-only, so a run and
/// `--dry-run` see the same; `problems` holds everything that stops a run, in the order found.
struct ResumeScan {
    /// Every state saved for the destinations' target topics, planned partitions or not.
    var saved: SavedStates
    /// The destinations' saved states, by destination.
    var loaded: [Int: RestoreResumeState] = [:]
    /// End offsets by destination, of the destinations whose targets were read.
    var ends: [Int: Int64] = [:]
    var tails: [Int: TargetTail] = [:]
    var problems: [RunFailure] = []

    /// One warning per target topic whose partitions this restore starts fresh (no saved state) at an
    /// end offset above 0: what they hold stays, and the restored records go after it. Restoring
    /// the same store (or a copy of it, which has no state of this restore) twice duplicates it.
    func nonEmptyFreshTargets(_ destinations: RestoreDestinations) -> [String] {
        var partitions: [String: [Int32]] = [:]
        // A state refused for other settings is its own problem, said already.
        for (destination, end) in ends
        where end > 0 && loaded[destination] == nil && saved.partitions[destinations[destination].target] == nil {
            partitions[destinations[destination].target.topic, default: []].append(destinations[destination].target.partition)
        }
        return partitions.sorted { $0.key < $1.key }.map { topic, numbers in
            let list = numbers.sorted().prefix(8).map(String.init).joined(separator: ", ") + (numbers.count > 8 ? ", …" : "")
            return
                "target topic \(topic) already holds records that no state of this restore accounts for (partitions \(list)); they are kept and the restored records go after them (restoring this store, or a copy of it, again duplicates what it restored before)"
        }
    }

    /// One problem per target topic that does not exist although its saved state has records in it
    /// (this restore's, or what it held before): it was deleted. Found before `--create-topics`
    /// creates it, which would leave an empty topic behind a run that then stops.
    func deletedTargets(_ destinations: RestoreDestinations, missing: Set<String>, states: ResumeStateStore) -> [String] {
        var held: [String: (partitions: [Int32], records: Int64)] = [:]
        for (destination, state) in loaded where state.baseTargetOffset > 0 || state.deliveredRecords > 0 {
            let target = destinations[destination].target
            guard missing.contains(target.topic) else { continue }
            held[target.topic, default: ([], 0)].partitions.append(target.partition)
            held[target.topic, default: ([], 0)].records += state.deliveredRecords
        }
        return held.sorted { $0.key < $1.key }.map { topic, found in
            let list =
                found.partitions.sorted().prefix(8).map(String.init).joined(separator: ", ") + (found.partitions.count > 8 ? ", …" : "")
            let document = states.key(topic, readFrom: saved)
            return
                "target topic \(topic) does not exist, but restore state \(document) records a restore into it (partitions \(list), \(found.records) records confirmed); was it deleted? To restore it again, remove \(document) and run again"
        }
    }

    /// A target holding records a run produced from an object before finding it damaged: a mended
    /// object cannot say whether they were right, so only the user can.
    private func heldFromDamaged(_ target: TopicPartition, _ damaged: RestoreProgress.DamagedObject, states: ResumeStateStore)
        -> RunFailure
    {
        let document = states.key(target.topic, readFrom: saved)
        return .invalidInput(
            "target \(target) holds records restored from object \(damaged.key) (source offsets from \(damaged.firstProducedOffset) on) before the object was found damaged at \(Timestamps.rfc3339(damaged.foundAt)): they may differ from the backup, and a rerun cannot tell, even from a mended object. \(states.removalHint(target, readFrom: saved)); or, to keep them as they are, remove `damaged` from partition \(target.partition)'s entry in \(document)"
        )
    }

    /// Reads the saved states of `destinations` and checks each against its destination's settings.
    static func loadStates(_ destinations: RestoreDestinations, states: ResumeStateStore) async throws -> ResumeScan {
        var scan = ResumeScan(saved: try await states.load(topics: Set(destinations.all.map(\.target.topic))))
        for destination in destinations.indices {
            let planned = destinations[destination]
            guard let state = scan.saved.partitions[planned.target] else { continue }
            let sameSettings = state.configHash == planned.configHash || state.configHash == planned.earlierConfigHash
            if !sameSettings || state.sourceTopic != planned.sourceTopic {
                scan.problems.append(
                    .invalidInput(
                        "restore state \(states.key(planned.target.topic, readFrom: scan.saved)) was written for \(planned.target) by a restore with other settings (source topic, files, time range, as-of, repartitioning or key-converter); to restore \(planned.target.topic) again, remove that file or use another --state-dir (records already there stay and would be written again: re-create the target first if they overlap)"
                    ))
            } else {
                scan.loaded[destination] = state
            }
        }
        return scan
    }

    /// Reads the end offsets of the targets of `reading` (destinations whose topics exist) and the tails
    /// of those with a saved state (together, by one reader).
    mutating func readTargets(
        _ reading: [Int], destinations: RestoreDestinations, states: ResumeStateStore, admin: KafkaAdmin,
        options: RestoreOptions
    ) async throws {
        guard !reading.isEmpty else { return }
        let targets = reading.map { TopicPartition(topic: destinations[$0].target.topic, partition: destinations[$0].target.partition) }
        let found: [TopicPartition: Int64]
        let (clock, stall) = (options.clock, options.stallTimeout)
        do {
            // A broker restarting (a leader moving) is waited out as a run waits out a stalled target.
            found = try await options.onTarget {
                let started = clock()
                while true {
                    // Each attempt ends by the stall timeout too: a short one is not rounded up to 10 s.
                    let left = stall - clock().timeIntervalSince(started)
                    do {
                        return try admin.endOffsets(targets, timeoutMilliseconds: Int32(max(1_000, min(10_000, left * 1_000))))
                    } catch let error as KafkaError where error.isRetriable && clock().timeIntervalSince(started) < stall {
                        Thread.sleep(forTimeInterval: 0.5)
                    }
                }
            }
        } catch let error as RunFailure where error.isInterrupted {
            throw error
        } catch let error as KafkaError where error.isConfigurationError {
            // Refused by the target's ACLs: asked once, and so will a rerun be.
            throw RunFailure.invalidInput(
                "target cluster \(options.kafka.bootstrapServers): cannot read the end offsets of the target partitions: \(error)",
                cause: error)
        } catch let error as KafkaError where !error.isRetriable {
            throw RunFailure.failure(
                "target cluster \(options.kafka.bootstrapServers): cannot read the end offsets of the target partitions: \(error)",
                cause: error)
        } catch {
            throw RunFailure.failure(
                "target cluster \(options.kafka.bootstrapServers): cannot read the end offsets of the target partitions (retried for up to --stall-timeout \(Int(stall)) s): \(error)"
            )
        }
        var requests: [TargetTail.Request] = []
        for (destination, target) in zip(reading, targets) {
            let end = found[target] ?? 0
            ends[destination] = end
            guard let existing = loaded[destination] else { continue }
            let partition = destinations[destination].target
            if end < existing.baseTargetOffset {
                problems.append(
                    .invalidInput(
                        "target \(partition) ends at offset \(end), before offset \(existing.baseTargetOffset) where this restore began; was it deleted and re-created? \(states.removalHint(partition, readFrom: saved))"
                    ))
                continue
            }
            requests.append(TargetTail.Request(target: partition, base: existing.baseTargetOffset, endHint: end))
        }
        let config = options.kafka
        let asked = requests
        let stallSeconds = options.stallTimeout
        let read =
            asked.isEmpty
            ? [:] : try await options.onTarget { try TargetTail.read(config: config, asked, stallSeconds: stallSeconds, clock: clock) }
        for destination in reading {
            guard let existing = loaded[destination], let tail = read[destinations[destination].target] else { continue }
            tails[destination] = tail
            if let damaged = existing.damaged {
                // Its records reached the target if the state confirmed one, or may have if it holds unconfirmed ones.
                if existing.nextSourceOffset > damaged.firstProducedOffset || tail.count > existing.deliveredRecords {
                    problems.append(heldFromDamaged(destinations[destination].target, damaged, states: states))
                } else {
                    loaded[destination]?.damaged = nil
                }
            }
            if tail.count < existing.deliveredRecords {
                let partition = destinations[destination].target
                problems.append(
                    .invalidInput(
                        "target \(partition) holds \(tail.count) records after offset \(existing.baseTargetOffset), fewer than the \(existing.deliveredRecords) this restore confirmed; was it deleted or truncated? \(states.removalHint(partition, readFrom: saved))"
                    ))
            }
        }
    }
}
