import Foundation
import Testing
@testable import Layout

@Suite struct MetadataKeyTests {
    // 2026-11-24T12:29:14.123Z
    let date = Date(timeIntervalSince1970: 1_795_523_354.123)

    @Test func runIDsCarryTimeShardAndSuffix() {
        let run = RunID(startedAt: date, shard: "0/3", randomSuffix: 0xab)
        #expect(run.rawValue == "20261124T122914.123Z-0of3-000000ab")
        #expect(run.isWellFormed)
        #expect(RunID(startedAt: date, shard: "group:etl jobs", randomSuffix: 1).rawValue == "20261124T122914.123Z-group-etl_jobs-00000001")
        #expect(RunID(startedAt: date, shard: "all", randomSuffix: 0xffff_ffff).rawValue.hasSuffix("-all-ffffffff"))
        #expect(!RunID(rawValue: "latest").isWellFormed)
    }

    @Test func runIDsSortByTime() {
        let earlier = RunID(startedAt: date, shard: "all", randomSuffix: 0xffff_ffff)
        let later = RunID(startedAt: date.addingTimeInterval(0.001), shard: "0/3", randomSuffix: 0)
        let muchLater = RunID(startedAt: date.addingTimeInterval(86_400 * 40), shard: "all", randomSuffix: 0)
        #expect([muchLater, later, earlier].sorted() == [earlier, later, muchLater])
    }

    @Test func metadataKeysSitBesideTheTopicsDir() {
        let layout = StoreLayout(prefix: "backups/prod/", topicsDir: "topics")
        let run = RunID(startedAt: date, shard: "all", randomSuffix: 7)
        let key = layout.runManifestKey(run)
        #expect(key == "backups/prod/_ktape/runs/20261124T122914.123Z-all-00000007.json")
        #expect(layout.runID(fromKey: key) == run)
        #expect(layout.runID(fromKey: "backups/prod/_ktape/locks/x.json") == nil)
        #expect(layout.runID(fromKey: "backups/prod/_ktape/runs/a/b.json") == nil)
        #expect(layout.lockKey(job: "nightly orders") == "backups/prod/_ktape/locks/nightly_orders.json")
        #expect(layout.restoreStateKey(targetCluster: "lkc-abc/1", topic: "orders", partition: 3)
            == "backups/prod/_ktape/restore/lkc-abc_1/orders+3.json")
        #expect(layout.restoreStateKey(targetCluster: "..", topic: "t", partition: 0) == "backups/prod/_ktape/restore/_../t+0.json")
        #expect(StoreLayout().runsFolder == "_ktape/runs/")
        #expect(StoreLayout().partitionFolder(topic: "t", partition: 1) == "topics/t/partition=1/")
    }

    @Test func layoutParsesItsOwnKeys() throws {
        let layout = StoreLayout(prefix: "p", topicsDir: "data/t")
        let object = try ObjectKey(topic: "x", partition: 4, startOffset: 17, kind: ObjectFileKind(.values))
        #expect(try layout.objectKey(parsing: layout.key(for: object)) == object)
        #expect(layout.key(for: object).hasPrefix(layout.partitionFolder(topic: "x", partition: 4)))
    }
}
