import Foundation
import Layout
import ObjectStore
import StoreMetadata
import Testing

@testable import Inspection

/// Stage 2's targets found again from the manifests, a batch at a time, are those stage 1 chose.
@Suite struct RunTargetsTests {
    @Test func theManifestsReadAgainGiveWhatStageOneWouldReadInBatches() async throws {
        let fixture = try InspectionFixture()
        for _ in 0..<40 { try await fixture.writeRun(["orders": [0: 4, 1: 2], "events": [0: 3]], perObject: 2) }
        let named = fixture.manifests.flatMap(\.objects).map(\.key)
        let orders0 = fixture.manifests.flatMap(\.objects).filter { $0.topic == "orders" && $0.partition == 0 }
        // Pruned below offset 6 (its first three objects), one missing, one of another size.
        try await PrunedStateKeeper.record(
            [
                PrunedState.Partition(
                    topic: "orders", partition: 0, firstOffset: 6, prunedAt: Date(), pruneId: "p1", objects: 3, records: 6, bytes: 0)
            ],
            store: fixture.store, layout: fixture.layout)
        let missing = orders0[5].key
        let resized = orders0[7].key
        try await fixture.store.delete(missing)
        try await fixture.store.put(resized, body: Array("{}\n".utf8))

        let contents = try await StoreContents.load(store: fixture.store, layout: fixture.layout)
        var batches: [[String]] = []
        try await RunTargets(store: fixture.store, contents: contents, batchSize: 40).forEachBatch { batches.append($0.map(\.key)) }

        let expected = Set(named).subtracting(orders0[0..<3].map(\.key) + [missing, resized])
        #expect(Set(batches.joined()) == expected)
        #expect(batches.joined().count == expected.count, "each object once")
        #expect(batches.count > 2 && batches.dropLast().allSatisfy { $0.count >= 40 }, "\(batches.map(\.count))")
        // And the verify built on them reads exactly those.
        let report = try await StoreVerifier(store: fixture.store, layout: fixture.layout).run()
        #expect(report.objectsChecked == expected.count)
        #expect(Set(report.problems.map(\.subject)).isSuperset(of: [missing, resized]), "\(report.problems)")
    }
}
