import Testing

@testable import Inspection

@Suite struct ListedObjectsTests {
    /// Enough keys to grow the table many times and fill several blocks of key bytes.
    @Test func findsEveryKeyAfterGrowingAndNoOther() {
        var listed = ListedObjects()
        let keys = (0..<60_000).map { "topics/orders/partition=\($0 % 97)/orders+\($0 % 97)+\(String(format: "%010d", $0)).ktape.json" }
        var refused = 0
        for (index, key) in keys.enumerated() where !listed.insert(key, size: Int64(index)) { refused += 1 }
        #expect(refused == 0)
        #expect(listed.count == keys.count)
        var wrong = 0
        for (index, key) in keys.enumerated() where listed.size(of: key) != Int64(index) { wrong += 1 }
        #expect(wrong == 0)
        #expect(listed.size(of: "topics/orders/partition=0/orders+0+0000060000.ktape.json") == nil)
        #expect(listed.size(of: keys[5] + "x") == nil)
        #expect(listed.size(of: String(keys[5].dropLast())) == nil)
    }

    /// A key listed twice keeps its first size and ETag: listings are read once per key.
    @Test func aRepeatedKeyKeepsItsFirstEntry() {
        var listed = ListedObjects(keepETags: true)
        let first = listed.insert("a", size: 1, etag: "\"e1\"")
        let second = listed.insert("a", size: 2, etag: "\"e2\"")
        #expect(first && !second)
        #expect(listed.count == 1)
        #expect(listed.size(of: "a") == 1)
        #expect(listed.etag(of: "a") == "\"e1\"")
        #expect(ListedObjects().etag(of: "a") == nil)
    }

    /// Marking many keys at once says what marking them one at a time says: first, again (also
    /// within one batch), unlisted, and where each is listed.
    @Test func batchedMarkingAgreesWithOneAtATime() {
        let keys = (0..<5_000).map { "topics/t/partition=\($0 % 7)/t+\($0 % 7)+\(String(format: "%010d", $0)).ktape.json" }
        var batched = ListedObjects()
        var single = ListedObjects()
        for (index, key) in keys.enumerated() where index % 3 != 0 {
            batched.insert(key, size: 1)
            single.insert(key, size: 1)
        }
        let asked = [Array(keys[0..<2_000]), Array(keys[1_000..<3_000]) + ["", keys[5], "x", keys[5]], Array(keys[2_500...])]
        for batch in asked {
            let together = batched.markNamed(batch)
            let apart = batch.map { single.markNamed($0) }
            #expect(together.map(\.naming) == apart.map(\.naming))
            #expect(together.map(\.index) == apart.map(\.index))
        }
        #expect(batched.unnamedKeys() == single.unnamedKeys())
        var empty = ListedObjects()
        #expect(empty.markNamed(["a", "a"]).map(\.naming) == [.unlisted, .unlisted])
        let namings = batched.markNamed([keys[1], keys[3], keys[4]]).map(\.naming)
        #expect(namings == [.again, .unlisted, .again])
    }

    /// Keys listed in order need no look-up to be known new; one listed out of order, or again after
    /// a smaller one, is still found.
    @Test func aRepeatIsFoundInAnyOrder() {
        var listed = ListedObjects()
        let inserted = ["b", "d", "c", "d", "a", "b", "e", "c", "e", "f"].map { listed.insert($0, size: 1) }
        #expect(inserted == [true, true, true, false, true, false, true, false, false, true])
        #expect(listed.count == 6)
        #expect(Array(listed.keys) == ["b", "d", "c", "a", "e", "f"])
    }

    /// Keys listed in order are placed in the table a batch at a time: the ones still waiting are
    /// found too, by every look-up, and refused when listed again.
    @Test func keysWaitingToBePlacedAreFound() {
        var listed = ListedObjects()
        let keys = (0..<1_000).map { String(format: "k%05d", $0) }
        for count in [1, 63, 64, 65, 100, 1_000] {
            listed = ListedObjects()
            for (index, key) in keys.prefix(count).enumerated() { listed.insert(key, size: Int64(index)) }
            #expect(keys.prefix(count).enumerated().allSatisfy { listed.size(of: $1) == Int64($0) }, "\(count) keys")
            #expect(!listed.insert(keys[count - 1], size: -5) && !listed.insert(keys[0], size: -5))
            #expect(listed.count == count && listed.size(of: keys[count - 1]) == Int64(count - 1))
            #expect(listed.size(of: "k") == nil && listed.size(of: "l") == nil)
        }
    }

    /// Marking tells a first naming from a repeat and from an unlisted key, and leaves sizes alone.
    @Test func marksNamedKeysAndReturnsTheRestInListingOrder() {
        var listed = ListedObjects()
        for (index, key) in ["k3", "k1", "", "k2", "ключ/é"].enumerated() { listed.insert(key, size: Int64(index)) }
        let marks = [listed.markNamed("k1"), listed.markNamed("k1"), listed.markNamed("k9"), listed.markNamed("ключ/é")]
        #expect(marks.map(\.naming) == [.first, .again, .unlisted, .first])
        #expect(marks.map(\.index) == [1, 1, nil, 4])
        #expect(listed.unnamedKeys() == ["k3", "", "k2"])
        #expect(listed.size(of: "k1") == 1)
        #expect(listed.size(of: "ключ/é") == 4)
        #expect(listed.size(of: "") == 2)
    }
}
