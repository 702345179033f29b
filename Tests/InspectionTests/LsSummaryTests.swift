import Foundation
import Inspection
import KtapeTestSupport
import Layout
import ObjectStore
import Testing

@Suite("ls summary of a ktape store")
struct LsSummaryTests {
    /// What `ls` shows: the summary of a load that learns only the sizes it shows.
    func summary(_ fixture: InspectionFixture) async throws -> StoreSummary {
        try StoreSummary(try await StoreContents.load(store: fixture.store, layout: fixture.layout, sizes: .shown))
    }

    @Test func partitionsAndRunsComeFromTheManifests() async throws {
        let fixture = try await InspectionFixture.standard()
        let summary = try await summary(fixture)
        #expect(summary.source == .manifests)
        #expect(summary.topics.map(\.name) == ["events", "orders"])
        let orders = try #require(summary.topics.last)
        #expect(orders.partitionCount == 2)
        #expect(orders.partitions.map(\.partition) == [0, 1])
        #expect(orders.partitions.map(\.startOffset) == [0, 0])
        #expect(orders.partitions.map(\.endOffset) == [9, 7])
        #expect(orders.partitions.map(\.records) == [9, 7])
        #expect(orders.partitions.map(\.objects) == [4, 3])
        #expect(orders.records == 16)
        let bytes = fixture.manifests.flatMap(\.objects).reduce(0) { $0 + $1.byteSize }
        #expect(summary.totals == StoreSummary.Totals(topics: 2, partitions: 3, objects: 8, bytes: bytes, records: 19))
        #expect(summary.runs.map(\.runId) == fixture.manifests.map(\.runId.rawValue))
        #expect(summary.runs.map(\.records) == [14, 5])
        #expect(summary.runs.map(\.objects) == [6, 2])
        #expect(summary.runs[1].previousRunId == summary.runs[0].runId)
        #expect(summary.runs[0].startedAt == "2027-01-15T08:00:00.000Z")
    }

    /// A run's manifest gone from the middle: ls showed the partition's range whole. It now counts
    /// the offsets no run covers, in the table and its JSON.
    @Test func offsetsNoRunCoversAreCounted() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeRun(["orders": [0: 4, 1: 1], "events": [0: 2]])
        try fixture.remove(fixture.layout.runManifestKey(fixture.manifests[1].runId))
        let summary = try await summary(fixture)
        let orders = try #require(summary.topics.last)
        #expect(orders.partitions.map(\.endOffset) == [13, 8])
        #expect(orders.partitions.map(\.unrecordedOffsets) == [2, 3])
        #expect(summary.topics.first?.partitions.first?.unrecordedOffsets == nil)
        let table = summary.tableText()
        #expect(table.contains("2 in no run") && table.contains("run ktape verify"), "\(table)")
        #expect(
            try await self.summary(InspectionFixture.standard()).topics.allSatisfy {
                $0.partitions.allSatisfy { $0.unrecordedOffsets == nil }
            })
    }

    /// Runs of two copies of a store merged (a fork synced back): the table showed orders/0 as
    /// [0, 11) holding more records than offsets, and said nothing. It now counts the excess.
    @Test func recordsOfOffsetsCoveredTwiceAreCounted() async throws {
        let plain = try await summary(InspectionFixture.standard()).tableText()
        #expect(!plain.contains("records twice"), "\(plain)")
        let fixture = try await InspectionFixture.standard()
        fixture.rewind("orders", 0, to: 4)
        try await fixture.writeRun(["orders": [0: 7]], perObject: 2)
        let summary = try await summary(fixture)
        let orders = try #require(summary.topics.last?.partitions.first)
        let twice = try #require(orders.records) - (try #require(orders.endOffset) - orders.startOffset)
        #expect(twice > 0)
        let table = summary.tableText()
        #expect(table.contains("\(twice) records twice"), "\(table)")
        #expect(table.contains("some offsets are covered twice") && table.contains("run ktape verify"), "\(table)")
    }

    /// A topic backed up while it held no record (its run names it and its partition count, and
    /// restore creates it) is listed too, as a row without records: ls left it out.
    @Test func aTopicBackedUpEmptyIsListed() async throws {
        let fixture = try await InspectionFixture.standard()
        let key = fixture.layout.runManifestKey(fixture.manifests[1].runId)
        var manifest = fixture.manifests[1]
        manifest.topics.append(ManifestTopic(name: "quiet", partitionCount: 3))
        try fixture.write(key, Array(try manifest.encoded(layout: fixture.layout)))
        let summary = try await summary(fixture)
        #expect(summary.topics.map(\.name) == ["events", "orders", "quiet"])
        #expect(summary.topics.last?.partitionCount == 3 && summary.topics.last?.partitions.isEmpty == true)
        #expect(summary.totals.topics == 3)
        let table = summary.tableText()
        #expect(table.contains("quiet") && table.contains("(no records)"), "\(table)")
    }

    @Test func orphansAndStraysAreListed() async throws {
        let fixture = try await InspectionFixture.standard()
        let orphan = "topics/orders/partition=1/orders+1+0000000007.ktape.json"
        try fixture.write(orphan, Array("12345\n".utf8))
        // Not as ktape spells keys, but a sink layout's data object all the same: an orphan, no stray.
        let unpadded = "topics/orders/partition=1/orders+1+8.json"
        try fixture.write(unpadded, Array("1\n".utf8))
        try fixture.write("topics/orders/README", Array("x".utf8))
        let summary = try await summary(fixture)
        #expect(summary.orphans == [StoreSummary.Orphan(key: orphan, bytes: 6), StoreSummary.Orphan(key: unpadded, bytes: 2)])
        #expect(summary.strays.map(\.key) == ["topics/orders/README"])
        let table = summary.tableText()
        #expect(table.contains("objects no manifest names (2"))
        #expect(table.contains(orphan))
    }

    /// The empty keys ending in "/" that the S3 console makes for folders are neither orphans nor
    /// strays: ls and verify said "no manifest names this object" of `topics/`. A key ending in "/"
    /// that holds bytes is still shown.
    @Test func foldersMadeInTheBucketAreNotObjects() async throws {
        let fixture = try await InspectionFixture.standard()
        let bucket = try await S3TestServer.shared.value.freshStore()
        for object in try await fixture.store.listAll(prefix: "") {
            try await bucket.put(object.key, body: try await fixture.store.get(object.key))
        }
        for folder in ["topics/", "topics/orders/", "topics/orders/partition=1/", "_ktape/", "_ktape/runs/"] {
            try await bucket.put(folder, body: [])
        }
        let summary = try StoreSummary(try await StoreContents.load(store: bucket, layout: fixture.layout, sizes: .shown))
        #expect(summary.orphans == [])
        #expect(summary.strays == [])
        let report = try await StoreVerifier(store: bucket, layout: fixture.layout, options: VerifyOptions(concurrency: 2)).run()
        #expect(report.problems == [] && report.warnings == [], "\(report.problems) \(report.warnings)")

        try await bucket.put("topics/orders/notes/", body: Array("x".utf8))
        let shown = try StoreSummary(try await StoreContents.load(store: bucket, layout: fixture.layout, sizes: .shown))
        #expect(shown.strays.map(\.key) + shown.orphans.map(\.key) == ["topics/orders/notes/"])
    }

    /// A directory store lists keys without a `stat` for ls: named objects' sizes stay unknown (the
    /// manifests give them), an orphan's is asked for, and what ls shows is what a full listing gives.
    @Test func lsStatsOnlyTheOrphansOfADirectoryStore() async throws {
        let fixture = try await InspectionFixture.standard()
        let orphan = "topics/orders/partition=1/orders+1+0000000007.ktape.json"
        try fixture.write(orphan, Array("12345\n".utf8))
        let shown = try await StoreContents.load(store: fixture.store, layout: fixture.layout, sizes: .shown)
        #expect(shown.orphanKeys == [orphan])
        #expect(shown.listed.size(of: orphan) == 6)
        for object in fixture.manifests.flatMap(\.objects) {
            #expect(shown.listed.size(of: object.key) == ListedObjects.unknownSize)
        }
        let every = try await StoreContents.load(store: fixture.store, layout: fixture.layout)
        #expect(every.listed.size(of: fixture.manifests[0].objects[0].key) == fixture.manifests[0].objects[0].byteSize)
        #expect(try StoreSummary(shown) == StoreSummary(every))
        #expect(try StoreSummary(shown).jsonText() == StoreSummary(every).jsonText())
    }

    /// An orphan deleted between the listing and the question of its size is no longer there to show.
    @Test func anOrphanGoneBeforeItsSizeIsAskedIsLeftOut() async throws {
        let fixture = try await InspectionFixture.standard()
        let orphan = "topics/orders/partition=1/orders+1+0000000007.ktape.json"
        try fixture.write(orphan, Array("12345\n".utf8))
        let store = DeletingOnHeadStore(base: fixture.store)
        let contents = try await StoreContents.load(store: store, layout: fixture.layout, sizes: .shown)
        #expect(store.headed == [orphan])
        #expect(contents.orphanKeys == [])
        #expect(try StoreSummary(contents).orphans == [])
    }

    /// Orphans are found by marking the listing's entries: every size must read as listed afterwards.
    @Test func findingOrphansLeavesEveryListedSizeAsItWas() async throws {
        let fixture = try await InspectionFixture.standard()
        let companion = "topics/orders/partition=0/orders+0+0000000000.keys.json"
        try fixture.write(companion, Array("{}\n".utf8))
        let contents = try await StoreContents.load(store: fixture.store, layout: fixture.layout)
        #expect(contents.orphanKeys == [companion])
        #expect(contents.listed.size(of: companion) == 3)
        for object in fixture.manifests.flatMap(\.objects) {
            #expect(contents.listed.size(of: object.key) == object.byteSize)
        }
        #expect(try await fixture.verify().problems == [])
    }

    /// ls folds each manifest in as it arrives and lets its objects go: an object two runs name is
    /// counted once, and each run still shows its own figures.
    @Test func foldedSummaryCountsAnObjectNamedTwiceOnce() async throws {
        let fixture = try await InspectionFixture.standard()
        var again = fixture.manifests[0]
        again.runId = RunID(startedAt: Date(timeIntervalSince1970: 1_900_000_000), shard: "all", randomSuffix: 7)
        again.previousRunId = fixture.manifests[1].runId
        try fixture.write(fixture.layout.runManifestKey(again.runId), Array(try again.encoded(layout: fixture.layout)))
        let folded = try StoreSummary(try await StoreContents.load(store: fixture.store, layout: fixture.layout))
        #expect(folded.totals.objects == 8)
        #expect(folded.runs.map(\.objects) == [6, 2, 6])
        #expect(folded.topics.last?.partitions.map(\.objects) == [4, 3])
    }

    @Test func jsonIsOneDocumentWithStableNames() async throws {
        let fixture = try await InspectionFixture.standard()
        let text = try await summary(fixture).jsonText()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(
            Set(document.keys) == ["version", "store", "prefix", "topicsDir", "source", "totals", "topics", "runs", "orphans", "strays"])
        let topics = try #require(document["topics"] as? [[String: Any]])
        let partition = try #require((topics.first?["partitions"] as? [[String: Any]])?.first)
        #expect(
            Set(partition.keys) == ["partition", "startOffset", "endOffset", "lastObjectStartOffset", "objects", "bytes", "records", "gaps"]
        )
        #expect(partition["endOffset"] as? Int == 3)
        let decoded = try JSONDecoder().decode(StoreSummary.self, from: Data(text.utf8))
        #expect(decoded == (try await summary(fixture)))
    }

    /// Runs written with another --topics-dir: the figures are their manifests', the objects elsewhere.
    @Test func runsUnderAnotherTopicsDirAreNamed() async throws {
        let fixture = try InspectionFixture(layout: StoreLayout(prefix: "", topicsDir: "mydir"))
        try await fixture.writeRun(["orders": [0: 5]])
        let listed = try StoreSummary(
            try await StoreContents.load(store: fixture.store, layout: StoreLayout(prefix: "", topicsDir: "topics"), sizes: .shown))
        #expect(listed.runs.map(\.topicsDir) == ["mydir"])
        #expect(listed.tableText().contains("runs wrote their objects under topics dir 'mydir', not 'topics': pass --topics-dir mydir"))
        #expect(!(try await summary(fixture).tableText().contains("runs wrote their objects under")))
    }

    @Test func tableShowsEveryPartitionAndRun() async throws {
        let fixture = try await InspectionFixture.standard()
        let table = try await summary(fixture).tableText()
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("orders") && $0.contains("[0, 9)") && $0.contains(" 4 ") })
        #expect(lines.contains { $0.hasPrefix("events") && $0.contains("[0, 3)") })
        #expect(lines.contains("total: 2 topics, 3 partitions, 8 objects, \(StoreSummaryBytes.text(fixture)), 19 records"))
        for manifest in fixture.manifests { #expect(table.contains(manifest.runId.rawValue)) }
    }

    @Test func recordedGapsAreShown() async throws {
        let fixture = try InspectionFixture()
        let manifest = try await fixture.writeRun(["orders": [0: 3]])
        var edited = manifest
        edited.partitions[0].startOffset = 0
        edited.partitions[0].endOffset = 5
        edited.partitions[0].gaps = [OffsetGap(start: 3, end: 5, reason: .retention)]
        try fixture.write(fixture.layout.runManifestKey(manifest.runId), Array(try edited.encoded(layout: fixture.layout)))
        let summary = try await summary(fixture)
        #expect(summary.topics.first?.partitions.first?.gaps == [StoreSummary.Gap(start: 3, end: 5, reason: "retention")])
        #expect(summary.tableText().contains("1 (2 lost)"))
        #expect(try await fixture.verify().problems == [])  // a recorded gap is not a hole
    }

    @Test func unreadableManifestStopsLs() async throws {
        let fixture = try await InspectionFixture.standard()
        let key = fixture.layout.runManifestKey(fixture.manifests[0].runId)
        try fixture.write(key, Array("not json".utf8))
        let contents = try await StoreContents.load(store: fixture.store, layout: fixture.layout)
        #expect(throws: InspectionError.self) { try StoreSummary(contents) }
        do { _ = try StoreSummary(contents) } catch { #expect("\(error)".contains(key)) }
    }

    @Test func emptyStoreSaysSo() async throws {
        let summary = try await summary(try InspectionFixture())
        #expect(summary.source == .empty)
        #expect(summary.tableText().contains("nothing is stored here"))
    }
}

/// The total size line of the standard fixture, as the table prints it.
enum StoreSummaryBytes {
    static func text(_ fixture: InspectionFixture) -> String {
        let bytes = fixture.manifests.flatMap(\.objects).reduce(0) { $0 + $1.byteSize }
        return bytes < 1024 ? "\(bytes) B" : String(format: "%.1f KiB", Double(bytes) / 1024)
    }
}

/// A directory store that deletes each object it is asked the head of, just before answering, and
/// lists as the directory store does (keys without sizes).
// @unchecked Sendable: `headed` is under `lock`.
final class DeletingOnHeadStore: ForwardingStore, @unchecked Sendable {
    let base: LocalDirectoryStore
    private let lock = NSLock()
    private var heads: [String] = []
    var headed: [String] { lock.withLock { heads } }
    var forwardee: any ObjectStore { base }

    init(base: LocalDirectoryStore) { self.base = base }

    func head(_ key: String) async throws -> ObjectInfo {
        lock.withLock { heads.append(key) }
        try await base.delete(key)
        return try await base.head(key)
    }
    func keyPages(prefix: String, pageSize: Int) -> any ListingPages<ListedKey> { base.keyPages(prefix: prefix, pageSize: pageSize) }
}
