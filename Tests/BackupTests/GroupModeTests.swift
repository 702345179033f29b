import Foundation
import Testing
@testable import Backup
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore

/// `group-id`: members of one Kafka group share a job's partitions; together they hold every
/// record once, and a later run continues from what the members wrote.
@Suite struct GroupModeTests {
    /// One member's run, with a short session timeout: two members joining at once sometimes had no
    /// assignment after 30 s under load, as if librdkafka's mock waited out the session timeout
    /// (45 s by default) before forming the group. Under a loaded full suite a member that joins
    /// while the group syncs waits out more than one rebalance (the mock's is the session timeout
    /// less 1 s): one was seen with no assignment after 30 s, so the members wait as long as a real
    /// run does (120 s) before calling the group unformed.
    func member(_ fixture: BackupFixture, store: any ObjectStore, topic: String, group: String) async throws -> BackupSummary {
        var request = try fixture.request(store: store, topics: [topic], ["group-id": group, "flush-size": "100"])
        try request.kafka.set("session.timeout.ms", "10000")
        request.stallTimeout = BackupRequest.defaultStallTimeout
        return try await BackupEngine.run(request)
    }

    /// Two members of a new group backing up a new topic of `partitions` partitions and `count` records.
    func twoMembers(_ name: String, partitions: Int32, count: Int) async throws
        -> (fixture: BackupFixture, topic: String, store: MemoryStore, group: String, a: BackupSummary, b: BackupSummary)
    {
        let fixture = try BackupFixture()
        let topic = try fixture.topic(name, partitions: partitions)
        try fixture.produceJSON(topic: topic, partitions: partitions, count: count)
        let store = MemoryStore()
        let group = "backup-\(UUID().uuidString.prefix(6))"
        async let one = member(fixture, store: store, topic: topic, group: group)
        async let two = member(fixture, store: store, topic: topic, group: group)
        let (a, b) = try await (one, two)
        return (fixture, topic, store, group, a, b)
    }

    /// More members than partitions: a member the group gives nothing waits until the other has
    /// backed the partition up (its committed offset reaches the end), or is given the partition
    /// when the other leaves and finds it done; either way it ends without failing, and the other
    /// holds every record. (When one member joins late, the group rebalances after the other has
    /// read, and the partition is read again; see the next test.)
    @Test func aMemberGivenNoPartitionsEndsWellOnceTheOtherHasFinished() async throws {
        let (_, _, store, group, a, b) = try await twoMembers("lonely", partitions: 1, count: 300)
        #expect(max(a.records, b.records) == 300)
        if a.records + b.records == 300 {
            #expect(Set([a.records, b.records]) == [0, 300])
            #expect(WarningLog.shared.lines(containing: "consumer group \(group) gave this member no partitions").count <= 1)
        }
        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.flatMap(\.partitions).contains { $0.partition == 0 && $0.endOffset == 300 })
    }

    /// Every member writes the job's partitions that had never held a record when it joined, held
    /// or not: a member may leave without them being held (they need no backing up), so when the
    /// member holding one died, records retention took from it later were "0 gaps". Each member's
    /// manifest named only its own.
    @Test func everyMemberNotesTheNeverWrittenPartitionsOfTheJob() async throws {
        let (_, topic, store, _, a, b) = try await twoMembers("never-written", partitions: 2, count: 0)
        #expect(a.records == 0 && b.records == 0)
        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.count == 2)
        let both = [
            ManifestEmptyPartition(topic: topic, partition: 0, offset: 0), ManifestEmptyPartition(topic: topic, partition: 1, offset: 0)
        ]
        for manifest in manifests { #expect(manifest.emptyPartitions == both, "\(manifest.runId)") }
    }

    /// An empty assignment ends a member well only once every partition of the job is held by a
    /// member or backed up to where it ended when the member joined: a group that handed everyone
    /// nothing (a leader without a topic's metadata) must not end a run that saved nothing.
    @Test func aMemberHoldingNothingLeavesOnlyWhenTheJobIsAccountedFor() {
        let t0 = TopicPartition("t", 0)
        let t1 = TopicPartition("t", 1)
        let t2 = TopicPartition("t", 2)
        let empty = TopicPartition("t", 3)
        let coverage = GroupCoverage(ends: [t0: 100, t1: 50, t2: 70, empty: 0])
        var checkpoint = Checkpoint()
        checkpoint.nextOffsets[t1] = 50
        // Nothing held, nothing committed: all but the backed-up and the empty partition are open.
        let open = coverage.open(checkpoint: checkpoint, held: [])
        #expect(open == [t0, t2])
        #expect(coverage.unaccounted(open, committed: [:]) == [t0, t2])
        // Another member holds t0; the group committed t2 short of its end, then at its end.
        #expect(coverage.open(checkpoint: checkpoint, held: [t0]) == [t2])
        #expect(coverage.unaccounted([t2], committed: [t2: 69]) == [t2])
        #expect(coverage.unaccounted([t2], committed: [t2: nil]) == [t2])
        #expect(coverage.unaccounted([t2], committed: [t2: 70]).isEmpty)
    }

    @Test func twoMembersShareTheJobAndTheStoreHoldsEveryRecordOnce() async throws {
        let (fixture, topic, store, group, a, b) = try await twoMembers("members", partitions: 4, count: 2000)
        // Both members usually join one generation and split the partitions. When one joins late
        // (a loaded machine), the group rebalances after the other has read: the partitions it
        // loses are read again by their new owner from the same checkpoint, into the same objects
        // with the same bytes, and two manifests cover them (docs/backup.md). Either way every
        // record is in the store once.
        let rebalancedMidRun = a.records + b.records > 2000
        #expect(a.records + b.records >= 2000)

        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.allSatisfy { $0.shard == "group:\(group)" })
        let partitionsPerManifest = manifests.map { Set($0.partitions.map(\.partition)) }
        #expect(partitionsPerManifest.reduce(Set<Int32>()) { $0.union($1) } == [0, 1, 2, 3])
        if !rebalancedMidRun {
            #expect(partitionsPerManifest.reduce(0) { $0 + $1.count } == 4)  // no partition in two manifests
            #expect(manifests.continuityProblems().isEmpty, "\(manifests.continuityProblems())")
        }
        var seen: [Int32: [Int64]] = [:]
        let objects = Dictionary(manifests.flatMap(\.objects).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for object in objects.values {
            seen[object.partition, default: []] += try StoreContents.envelopeOffsets(try await store.get(object.key))
        }
        #expect(seen.mapValues { $0.sorted() } == [0: Array(0..<500), 1: Array(0..<500), 2: Array(0..<500), 3: Array(0..<500)])

        // A later run finds nothing new. (Another group: librdkafka's mock makes a new member of the
        // old group wait out the departed members' session timeout.)
        let again = try await fixture.backup(store: store, topics: [topic], ["group-id": group + "-next", "flush-size": "100"])
        #expect(again.records == 0 && again.manifestKey == nil)
    }

    /// A member whose offset commit failed (a rebalance in progress, as members leaving cause) left
    /// its manifest and index but no committed offsets; a member that read its checkpoint before
    /// that and is assigned the partitions after starts where the index now says, rather than
    /// backing the same offsets up again (two manifests over one range, which verify and restore
    /// refuse).
    @Test func aMemberStartsWhereAManifestFoldedSinceItsCheckpointEnds() async throws {
        let fixture = try BackupFixture()
        let topic = try fixture.topic("landed", partitions: 2)
        try fixture.produceJSON(topic: topic, partitions: 2, count: 40)
        let main = MemoryStore()
        let store = LandsAfterTheCheckpoint(main, runsFolder: fixture.layout.runsFolder) {
            let other = MemoryStore()
            #expect(try await fixture.backup(store: other, topics: [topic]).records == 40)
            for key in try await other.listAll(prefix: "").map(\.key) where !key.hasPrefix("_ktape/locks/") {
                try await main.put(key, body: try await other.get(key))
            }
        }
        let run = try await member(fixture, store: store, topic: topic, group: "landed-\(UUID().uuidString.prefix(6))")
        #expect(run.records == 0 && run.manifestKey == nil)
        #expect(try await StoreContents.manifests(main).count == 1)
    }
}

/// Runs `landing` once, right after the first listing of the runs folder has its answer (which it
/// then returns): in a store with no index yet, that is the run's checkpoint. What a run finishing
/// meanwhile leaves behind.
// @unchecked Sendable: its one flag is under `lock`.
private final class LandsAfterTheCheckpoint: ForwardingStore, @unchecked Sendable {
    let forwardee: any ObjectStore
    private let runsFolder: String
    private let landing: @Sendable () async throws -> Void
    private let lock = NSLock()
    private var landed = false

    init(_ forwardee: any ObjectStore, runsFolder: String, landing: @escaping @Sendable () async throws -> Void) {
        self.forwardee = forwardee
        self.runsFolder = runsFolder
        self.landing = landing
    }

    func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        let page = try await forwardee.list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys)
        let first =
            prefix == runsFolder
            && lock.withLock { () -> Bool in
                defer { landed = true }
                return !landed
            }
        if first { try await landing() }
        return page
    }
}
