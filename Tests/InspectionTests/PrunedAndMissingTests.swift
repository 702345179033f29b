import Foundation
import Inspection
import KtapeTestSupport
import Layout
import ObjectStore
import StoreMetadata
import Testing

/// Verify and ls on a pruned store, and on one whose objects were deleted behind ktape's back.
@Suite struct PrunedAndMissingTests {
    /// `orders/0` holds 7 + 2 records in objects of 3: offsets [0,3) [3,6) [6,7) from run 1, [7,9) from run 2.
    func objects(_ fixture: InspectionFixture, _ topic: String, _ partition: Int32) -> [ManifestObject] {
        fixture.manifests.flatMap(\.objects).filter { $0.topic == topic && $0.partition == partition }.sorted {
            $0.firstOffset < $1.firstOffset
        }
    }

    @Test func consecutiveMissingObjectsAreOneRangeNamingTheFlag() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let gone = objects(copy, "orders", 0).prefix(2)
        for object in gone { try copy.remove(object.key) }
        let report = try await copy.verify()
        #expect(report.problems.count == 1, "\(report.problems)")
        let problem = try #require(report.problems.first)
        #expect(problem.subject == gone.first?.key)
        #expect(problem.message.contains("is missing with the 1 objects after it"), "\(problem.message)")
        #expect(problem.message.contains("offsets [0, 6) of orders/0 cannot be restored"), "\(problem.message)")
        #expect(problem.message.contains("--allow-missing"), "\(problem.message)")
    }

    @Test func aPrunedStoreVerifiesAndLsShowsWhereItStarts() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let pruned = objects(copy, "orders", 0).prefix(2)
        try await PrunedStateKeeper.record(
            [
                PrunedState.Partition(
                    topic: "orders", partition: 0, firstOffset: 6,
                    prunedAt: Date(timeIntervalSince1970: 1_800_100_000), pruneId: "p1",
                    objects: 2, records: 6, bytes: 0)
            ],
            store: copy.store, layout: copy.layout)
        // A prune stopped half-way: the first object is deleted, the second is still there.
        try copy.remove(pruned[pruned.startIndex].key)
        let report = try await copy.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.warnings.map(\.subject) == [pruned[pruned.startIndex + 1].key])
        #expect(report.warnings.first?.message.contains("run ktape prune again") == true)
        let summary = try StoreSummary(try await StoreContents.load(store: copy.store, layout: copy.layout))
        let partition = try #require(summary.topics.first { $0.name == "orders" }?.partitions.first { $0.partition == 0 })
        #expect(partition.startOffset == 6)
        #expect(partition.prunedBefore == 6)
        #expect(partition.prunedAt == "2027-01-16T11:46:40.000Z")
        #expect(partition.records == 3)
        #expect(summary.tableText().contains("below 6 at 2027-01-16T11:46:40.000Z"))

        // Once the deletes are finished the warning goes too.
        try copy.remove(pruned[pruned.startIndex + 1].key)
        let clean = try await copy.verify()
        #expect(clean.problems.isEmpty && clean.warnings.isEmpty, "\(clean.warnings)")
    }

    /// A prune beside verify records a partition's new start, then deletes what is below it: objects
    /// verify listed (or its manifests name) vanish under it. Once `_ktape/pruned.json` says so, that
    /// is a note, not a problem (a scheduled verify beside a prune exited 3 with hundreds of them).
    @Test func objectsPrunedWhileVerifyReadsThemAreNoProblem() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let pruned = objects(copy, "orders", 0).prefix(2).map(\.key)
        let store = PruningWhileReading(base: copy.store) {
            try await PrunedStateKeeper.record(
                [
                    PrunedState.Partition(
                        topic: "orders", partition: 0, firstOffset: 6, prunedAt: Date(), pruneId: "p1", objects: 2, records: 6,
                        bytes: 0)
                ],
                store: copy.store, layout: copy.layout)
            for key in pruned { try copy.remove(key) }
        }
        let report = try await StoreVerifier(store: store, layout: copy.layout, options: VerifyOptions(concurrency: 1, chunkSize: 64)).run()
        #expect(store.fired)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.notes.contains("2 objects pruned while verify ran (ktape prune beside it): not checked"), "\(report.notes)")
    }
}

/// Runs `prune` once, at the first read of a data object.
// @unchecked Sendable: its mutable state is under `lock`.
final class PruningWhileReading: ForwardingStore, @unchecked Sendable {
    let forwardee: any ObjectStore
    private let prune: @Sendable () async throws -> Void
    private let lock = NSLock()
    private var done = false
    var fired: Bool { lock.withLock { done } }

    init(base: any ObjectStore, prune: @escaping @Sendable () async throws -> Void) {
        forwardee = base
        self.prune = prune
    }

    func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        let first =
            key.contains("/partition=")
            && lock.withLock {
                defer { done = true }
                return !done
            }
        if first { try await prune() }
        return try await forwardee.get(key, range: range)
    }
}
