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
        // Prune and restore ids take the same eight digits (they once dropped leading zeros).
        #expect(RunID.hex(0x2cd_2ded) == "02cd2ded" && RunID.hex(0) == "00000000")
    }

    /// A killed run's placeholder starts when its id says, not when another run took it over (ls
    /// showed both times as the takeover's).
    @Test func runIDsTellWhenTheRunStartedAndPlaceholdersKeepIt() {
        let run = RunID(startedAt: date, shard: "0/3", randomSuffix: 0xab)
        #expect(run.startedAt?.timeIntervalSince1970 == 1_795_523_354.123)
        #expect(RunID(rawValue: "latest").startedAt == nil)
        let takenOver = date.addingTimeInterval(12)
        let placeholder = RunManifest.placeholder(
            for: run, takenOverBy: RunID(startedAt: takenOver, shard: "0/3", randomSuffix: 1), job: "nightly", at: takenOver,
            store: ManifestStoreSettings(topicsDir: "topics", format: .envelope, compression: .none), configHash: "h")
        #expect(placeholder.startedAt == run.startedAt && placeholder.finishedAt == takenOver)
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
        #expect(layout.restoreStateKey(targetCluster: "lkc-abc/1", topic: "orders") == "backups/prod/_ktape/restore/lkc-abc_1/orders.json")
        #expect(layout.restoreStateKey(targetCluster: "..", topic: "t") == "backups/prod/_ktape/restore/_../t.json")
        let byId = StoreLayout.restoreTargetName(clusterId: "lkc/x..y")
        #expect(byId == "cluster-lkc_x..y")
        #expect(layout.restoreLockKey(targetCluster: byId) == "backups/prod/_ktape/restore/cluster-lkc_x..y.lock.json")
        #expect(
            layout.restoreStateVersion1Key(targetCluster: "lkc-abc/1", topic: "orders", partition: 3)
                == "backups/prod/_ktape/restore/lkc-abc_1/orders+3.json")
    }

    /// Keys in the restore state folder name their topic (and, for version 1, their partition);
    /// anything else there is not taken for state.
    @Test func restoreStateKeysNameTheirOwner() throws {
        let layout = StoreLayout(prefix: "backups/prod/", topicsDir: "topics")
        let folder = layout.restoreStateFolder(targetCluster: "c")
        func owner(_ name: String) -> String? {
            layout.restoreStateOwner(key: folder + name, targetCluster: "c").map { "\($0.topic)|\($0.partition.map(String.init) ?? "-")" }
        }
        #expect(owner("orders.json") == "orders|-")
        #expect(owner("orders.v2.json") == "orders.v2|-")
        #expect(owner("orders+3.json") == "orders|3")
        #expect(owner("a.b_c-d+12.json") == "a.b_c-d|12")
        for bad in [
            "orders+03.json", "orders+-1.json", "orders+x.json", "+3.json", "orders+.json", ".json", "sub/orders.json", "orders.txt",
            "orders+99999999999.json"
        ] {
            #expect(owner(bad) == nil, "\(bad)")
        }
        #expect(layout.restoreStateOwner(key: "backups/prod/_ktape/restore/other/orders.json", targetCluster: "c") == nil)
        for (topic, partition) in [("orders", Int32(0)), ("x-1", 2_147_483_647)] {
            let key = layout.restoreStateVersion1Key(targetCluster: "c", topic: topic, partition: partition)
            #expect(
                layout.restoreStateOwner(key: key, targetCluster: "c").map { "\($0.topic)+\($0.partition ?? -1)" }
                    == "\(topic)+\(partition)")
        }
        #expect(layout.restoreStateOwner(key: layout.restoreStateKey(targetCluster: "c", topic: "t.x"), targetCluster: "c")?.topic == "t.x")
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
