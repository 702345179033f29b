import Foundation
import Testing
@testable import Layout

@Suite struct ObjectKeyIndexTests {
    @Test func sortsAListingIntoPartitionsWithCompanions() {
        let layout = StoreLayout(prefix: "p", topicsDir: "topics")
        let keys = [
            "p/topics/orders/partition=0/orders+0+0000000010.json",
            "p/topics/orders/partition=0/orders+0+0000000000.json",
            "p/topics/orders/partition=0/orders+0+0000000000.keys.json",
            "p/topics/orders/partition=0/orders+0+0000000000.headers.json",
            "p/topics/orders/partition=2/orders+2+0000000000.ktape.json.gz",
            "p/topics/pay/partition=0/pay+0+0000000005.keys.json",
            "p/topics/orders/partition=0/orders+0+1.json",
            "p/topics/orders/partition=0/_SUCCESS",
            // Folder markers, as the S3 console's "Create folder" and some sync tools leave.
            "p/topics/",
            "p/topics/orders/",
            "p/topics/orders/partition=0/",
            "p/_ktape/runs/20261124T122914.123Z-all-00000001.json",
            "elsewhere/topics/x/partition=0/x+0+0000000000.json"
        ]
        let index = ObjectKeyIndex(keys: keys, layout: layout)
        #expect(index.topics == ["orders"])
        #expect(index.partitions(of: "orders") == [0, 2])
        let p0 = index.entries(topic: "orders", partition: 0)
        // `orders+0+1.json`: an offset padded to one digit (filename.offset.zero.pad.width=1).
        #expect(p0.map(\.object.startOffset) == [0, 1, 10])
        #expect(p0.map(\.fileName) == ["orders+0+0000000000.json", "orders+0+1.json", "orders+0+0000000010.json"])
        #expect(
            p0.first?.companionKeys == [
                "p/topics/orders/partition=0/orders+0+0000000000.headers.json",
                "p/topics/orders/partition=0/orders+0+0000000000.keys.json"
            ])
        #expect(index.entries(topic: "orders", partition: 2).first?.object.kind == ObjectFileKind(.envelope, .gzip))
        #expect(index.orphanCompanions == ["p/topics/pay/partition=0/pay+0+0000000005.keys.json"])
        #expect(index.rejected.map(\.key) == ["p/topics/orders/partition=0/_SUCCESS"])
        #expect(index.entries(topic: "nope", partition: 0).isEmpty)
    }
}

/// Every layout Confluent's S3 sink writes: the file name names the object whatever the folders.
@Suite struct SinkLayoutIndexTests {
    @Test func timeBasedFoldersSortByOffsetAndKeepCompanionsInTheirFolder() {
        let layout = StoreLayout(topicsDir: "topics")
        let keys = [
            "topics/clicks/year=2026/month=11/day=24/hour=14/clicks+0+00020.json",
            "topics/clicks/year=2026/month=11/day=24/hour=13/clicks+0+00000.json",
            "topics/clicks/year=2026/month=11/day=24/hour=13/clicks+0+00000.keys.json",
            "topics/clicks/year=2026/month=11/day=24/hour=13/clicks+0+00010.json",
            "topics/clicks/year=2026/month=11/day=24/hour=14/clicks+1+00000.json",
            // A companion whose data object is in another folder is no companion of it.
            "topics/clicks/year=2026/month=11/day=24/hour=14/clicks+0+00010.keys.json"
        ]
        let index = ObjectKeyIndex(keys: keys, layout: layout)
        #expect(index.rejected == [])
        let p0 = index.entries(topic: "clicks", partition: 0)
        #expect(p0.map(\.object.startOffset) == [0, 10, 20])
        #expect(
            p0.map(\.folder) == [
                "clicks/year=2026/month=11/day=24/hour=13", "clicks/year=2026/month=11/day=24/hour=13",
                "clicks/year=2026/month=11/day=24/hour=14"
            ])
        #expect(p0[0].companionKeys == ["topics/clicks/year=2026/month=11/day=24/hour=13/clicks+0+00000.keys.json"])
        #expect(p0[1].companionKeys == [])
        #expect(index.orphanCompanions == ["topics/clicks/year=2026/month=11/day=24/hour=14/clicks+0+00010.keys.json"])
        #expect(index.partitions(of: "clicks") == [0, 1])
    }

    @Test func fieldPartitionerFoldersInterleaveAPartition() {
        let keys = [
            "data/orders/region=eu/orders+3+0000000001.json",
            "data/orders/region=us/orders+3+0000000000.json",
            "data/orders/region=us/orders+3+0000000004.json"
        ]
        let index = ObjectKeyIndex(keys: keys, layout: StoreLayout(prefix: "", topicsDir: "data"))
        #expect(index.entries(topic: "orders", partition: 3).map(\.key) == [keys[1], keys[0], keys[2]])
    }

    @Test func wrongTopicsDirIsSuggested() {
        let layout = StoreLayout(prefix: "p", topicsDir: "topics")
        #expect(layout.topicsDir(suggestedBy: "p/data/kafka/orders/partition=0/orders+0+0000000000.json") == "data/kafka")
        #expect(layout.topicsDir(suggestedBy: "p/data/orders/dt=2026-11-24/orders+0+7.json") == "data")
        #expect(layout.topicsDir(suggestedBy: "p/data/orders/readme.txt") == nil)
        #expect(layout.topicsDir(suggestedBy: "elsewhere/data/orders/partition=0/orders+0+0000000000.json") == nil)
    }

    /// A key the index rejects concerns a restore of `orders` when it lies in `orders`' folder or its
    /// name says it holds `orders`' records; another connector's file in another folder does not.
    @Test func aRejectedKeyConcernsTheTopicsWhoseFolderOrNameItHas() {
        let layout = StoreLayout(prefix: "p", topicsDir: "topics")
        let orders: Set<String> = ["orders"]
        #expect(layout.mayHoldRecords(of: orders, key: "p/topics/orders/partition=0/readme.txt"))
        #expect(layout.mayHoldRecords(of: orders, key: "p/topics/misc/orders+0+12.json.bak"))
        #expect(!layout.mayHoldRecords(of: orders, key: "p/topics/clicks/partition=0/clicks+0+x.json"))
        #expect(!layout.mayHoldRecords(of: orders, key: "p/topics/clicks/partition=0/orders-old+0+1.json"))
        // Nothing says which topic these are: they are not set aside.
        #expect(layout.mayHoldRecords(of: orders, key: "p/topics/loose-file.json"))
        #expect(layout.mayHoldRecords(of: orders, key: "p/elsewhere/x.json"))
    }
}
