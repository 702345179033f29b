import Layout
import Testing

@testable import Inspection

@Suite struct CoverageCollectorTests {
    /// verify takes each manifest as it arrives, in any order, and keeps keys only as places in the
    /// listing: its continuity problems must be those the manifests themselves give in run order,
    /// ties between runs and keys the listing lacks included.
    @Test func findsWhatTheManifestsGiveWhateverOrderTheyArriveIn() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeRun(["orders": [0: 3]])
        var manifests = fixture.manifests
        // A hole between two listed objects of run 1.
        let hole = try #require(manifests[0].objects.firstIndex { $0.topic == "orders" && $0.partition == 0 && $0.firstOffset == 3 })
        manifests[0].objects.remove(at: hole)
        // Run 3 names, under a key nobody listed, the offsets of an object of run 2: which of the two
        // overlaps the other follows run order.
        var tie = try #require(manifests[1].objects.first { $0.topic == "orders" && $0.partition == 0 })
        tie.key = "topics/orders/partition=0/orders+0+0000000007.elsewhere.json"
        manifests[2].objects.append(tie)
        // A gap of run 2 over one of its own objects.
        let p = try #require(manifests[1].partitions.firstIndex { $0.topic == "orders" && $0.partition == 1 })
        manifests[1].partitions[p].gaps = [OffsetGap(start: 5, end: 6, reason: .noRecords)]
        let firstOffsets = [TopicPartition("events", 0): Int64(2)]

        let expected = manifests.continuityProblems(firstOffsets: firstOffsets)
        let kinds = Set(expected.map(\.kind))
        #expect(kinds.isSuperset(of: [.hole, .overlap]))
        #expect(expected.contains { $0.detail.hasPrefix(tie.key + " overlaps") })

        var listed = ListedObjects()
        let unlisted = manifests[0].objects[0].key
        for key in manifests.flatMap({ $0.objects.map(\.key) }) where key != tie.key && key != unlisted {
            listed.insert(key, size: 1)
        }
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]] {
            var collector = CoverageCollector()
            var rank = [Int](repeating: 0, count: manifests.count)
            for run in order {
                let places = ListedPlaces(indices: manifests[run].objects.map { listed.index(of: $0.key).map(Int32.init) ?? -1 })
                rank[Int(collector.add(manifests[run], places: places))] = run
            }
            #expect(collector.problems(rank: rank, firstOffsets: firstOffsets, listed: listed) == expected, "arrival order \(order)")
        }
    }
}
