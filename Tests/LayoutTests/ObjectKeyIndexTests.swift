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
            "p/_ktape/runs/20261124T122914.123Z-all-00000001.json",
            "elsewhere/topics/x/partition=0/x+0+0000000000.json",
        ]
        let index = ObjectKeyIndex(keys: keys, layout: layout)
        #expect(index.topics == ["orders"])
        #expect(index.partitions(of: "orders") == [0, 2])
        let p0 = index.entries(topic: "orders", partition: 0)
        #expect(p0.map(\.object.startOffset) == [0, 10])
        #expect(p0.first?.companionKeys == [
            "p/topics/orders/partition=0/orders+0+0000000000.headers.json",
            "p/topics/orders/partition=0/orders+0+0000000000.keys.json",
        ])
        #expect(index.entries(topic: "orders", partition: 2).first?.object.kind == ObjectFileKind(.envelope, .gzip))
        #expect(index.orphanCompanions == ["p/topics/pay/partition=0/pay+0+0000000005.keys.json"])
        #expect(index.rejected.count == 2)
        #expect(index.rejected.contains { $0.reason.contains("not zero-padded") })
        #expect(index.entries(topic: "nope", partition: 0).isEmpty)
    }
}
