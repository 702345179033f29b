import Foundation
import KtapeTestSupport
import Testing

@testable import Layout

/// Every `_ktape/` document ktape writes is sealed: any one byte changed after the write is refused
/// on reading, naming the document and how to go on; a document without a seal still reads.
@Suite struct DocumentSealTests {
    static let pruned = PrunedState(partitions: [
        PrunedState.Partition(
            topic: "orders", partition: 0, firstOffset: 1200, prunedAt: ManifestSamples.start, pruneId: "prune-1",
            objects: 12, records: 1200, bytes: 90_000)
    ])
    static let manifest = ManifestSamples.run(0, range: (0, 20), objects: [ManifestSamples.object(0, 9), ManifestSamples.object(10, 19)])

    @Test func everyDocumentKindIsSealedAndReadsBack() throws {
        let index = try StoreIndex.of([Self.manifest])
        let now = ManifestSamples.start
        let leases = LeaseTable(leases: [
            LeaseTable.Lease(
                runId: "r", command: "backup", job: nil, holder: "h pid 1", claims: [LeaseTable.Claim(topic: "orders")],
                acquiredAt: now, expiresAt: now)
        ])
        let documents: [(Data, (Data) throws -> Bool)] = [
            (
                try Self.manifest.encoded(layout: StoreLayout()),
                { try RunManifest.decode($0, name: "m", layout: StoreLayout()) == Self.manifest }
            ),
            (try index.encoded(), { try StoreIndex.decode($0, name: "i") == index }),
            (try Self.pruned.encoded(), { try PrunedState.decode($0, name: "p") == Self.pruned }),
            (try leases.encoded(), { try LeaseTable.decode($0, name: "l") == leases })
        ]
        for (data, readsBack) in documents {
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains(",\n  \"seal\" : \"crc64nvme:"), "\(text)")
            #expect(try readsBack(data))
            // Without its seal (ktape before seals), the same document.
            let unsealed = Sealing.unsealed(data)
            #expect(unsealed.count < data.count)
            #expect(try readsBack(unsealed))
        }
    }

    /// Each byte of a prune record and of a manifest in turn, replaced: every one is refused. (A digit of
    /// pruned.json changed had left records out of a restore with exit 0.)
    @Test(arguments: ["pruned", "manifest"])
    func anyOneByteChangedIsRefused(_ kind: String) throws {
        let layout = StoreLayout()
        let original = Array(kind == "pruned" ? try Self.pruned.encoded() : try Self.manifest.encoded(layout: layout))
        let read: ([UInt8]) throws -> Void = { bytes in
            if kind == "pruned" {
                _ = try PrunedState.decode(Data(bytes), name: "_ktape/pruned.json")
            } else {
                _ = try RunManifest.decode(bytes, name: "_ktape/runs/m.json", layout: layout)
            }
        }
        try read(original)
        var accepted: [Int] = []
        for at in original.indices {
            // A digit for a digit, a letter for a letter, anything else for a space: edits that keep the JSON valid.
            var changed = original
            let byte = original[at]
            changed[at] =
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "8"): byte + 1
                case UInt8(ascii: "9"): UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "y"): byte + 1
                case UInt8(ascii: "z"): UInt8(ascii: "a")
                case UInt8(ascii: " "): UInt8(ascii: "\t")
                default: UInt8(ascii: " ")
                }
            do {
                try read(changed)
                accepted.append(at)
            } catch let error as ManifestError {
                #expect(!error.reason.isEmpty)
            }
        }
        #expect(accepted.isEmpty, "accepted with one byte changed at \(accepted)")
    }

    @Test func aChangedDocumentIsNamedWithWhatToDo() throws {
        var bytes = Array(try Self.pruned.encoded())
        let text = String(decoding: bytes, as: UTF8.self)
        let digit = try #require(text.range(of: "\"firstOffset\" : 1200")).upperBound
        bytes[text.utf8.distance(from: text.startIndex, to: digit) - 4] = UInt8(ascii: "9")  // 1200 → 9200
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"firstOffset\" : 9200"))
        let error = try #require(throws: ManifestError.self) { try PrunedState.decode(Data(bytes), name: "_ktape/pruned.json") }
        #expect(
            error.description.hasPrefix(
                "prune record _ktape/pruned.json: changed after ktape wrote it: its bytes are not those ktape sealed"),
            "\(error)")
        #expect(
            error.description.contains(
                "copy it again from the store it came from, or, if the edit was deliberate, remove its \"seal\" member"))
        // The edit made deliberate: without the seal it reads, as the user asked.
        #expect(try PrunedState.decode(Sealing.unsealed(Data(bytes)), name: "p").partitions[0].firstOffset == 9200)
    }

    /// A seal moved from the end (a tool that sorts keys, as `jq -S` does, or an edit) seals nothing
    /// any more: such a document is refused, not read as one without a seal. Before, a prune record
    /// with its seal moved first and one offset changed restored 200 records fewer, exit 0.
    @Test func aSealMovedFromTheEndIsRefused() throws {
        let layout = StoreLayout()
        let documents: [(String, Data, (Data) throws -> Void)] = [
            ("pruned", try Self.pruned.encoded(), { _ = try PrunedState.decode($0, name: "p") }),
            ("manifest", try Self.manifest.encoded(layout: layout), { _ = try RunManifest.decode($0, name: "m", layout: layout) }),
            ("index", try StoreIndex.of([Self.manifest]).encoded(), { _ = try StoreIndex.decode($0, name: "i") })
        ]
        for (kind, data, read) in documents {
            let sorted = try JSONSerialization.data(
                withJSONObject: try JSONSerialization.jsonObject(with: data), options: [.sortedKeys, .prettyPrinted])
            let text = String(decoding: data, as: UTF8.self)
            let seal = try #require(text.range(of: ",\n  \"seal\" : \"crc64nvme:[A-Za-z0-9+/=]{12}\"", options: .regularExpression))
            let first = "{\n  " + text[seal].dropFirst(4) + "," + text[..<seal.lowerBound].dropFirst(1) + "\n}"
            for moved in [Data(sorted), Data(first.utf8)] {
                let error = try #require(throws: ManifestError.self, "\(kind)") { try read(moved) }
                #expect(error.changedAfterWrite && error.reason.contains("its seal is not where and as ktape writes it"), "\(error)")
            }
        }
    }

    /// A document without a seal whose names or values say "seal" (a topic of that name) is no sealed one.
    @Test func aTopicNamedSealIsNoSeal() throws {
        var manifest = Self.manifest
        manifest.topics[0].name = "seal"
        manifest.clusterId = "seal"
        let layout = StoreLayout()
        let unsealed = Sealing.unsealed(try manifest.encoded(layout: layout))
        #expect(String(decoding: unsealed, as: UTF8.self).contains("\"seal\""))
        #expect(try RunManifest.decode(unsealed, name: "m", layout: layout) == manifest)
        var index = StoreIndex()
        index.clusterIds = ["seal": "cluster-1"]
        let unsealedIndex = Sealing.unsealed(try index.encoded())
        #expect(String(decoding: unsealedIndex, as: UTF8.self).contains("\"seal\" : "))
        #expect(try StoreIndex.decode(unsealedIndex, name: "i") == index)
        // A prune record of ktape before seals whose last partition is of topic "seal" ends with that
        // word (a helper's round found it refused as changed).
        var pruned = Self.pruned
        pruned.record(
            PrunedState.Partition(
                topic: "seal", partition: 0, firstOffset: 10, prunedAt: ManifestSamples.start, pruneId: "p", objects: 1, records: 10,
                bytes: 10))
        let unsealedPruned = Sealing.unsealed(try pruned.encoded())
        #expect(String(decoding: unsealedPruned.suffix(60), as: UTF8.self).contains("\"seal\""))
        #expect(try PrunedState.decode(unsealedPruned, name: "p") == pruned)
    }

    /// A changed lease table is named as changed, not as a lock ktape did not write.
    @Test func aChangedLockSaysNothingOfAnotherWriter() throws {
        let now = ManifestSamples.start
        let table = LeaseTable(leases: [
            LeaseTable.Lease(
                runId: "r", command: "backup", job: nil, holder: "h pid 1", claims: [LeaseTable.Claim(topic: "orders")],
                acquiredAt: now, expiresAt: now)
        ])
        let text = String(decoding: try table.encoded(), as: UTF8.self).replacingOccurrences(of: "h pid 1", with: "h pid 7")
        let error = try #require(throws: ManifestError.self) { try LeaseTable.decode(Data(text.utf8), name: "_ktape/locks/store.json") }
        #expect(error.description.hasPrefix("lock _ktape/locks/store.json: changed after ktape wrote it"), "\(error)")
        #expect(!error.description.contains("did not write"), "\(error)")
        // A lease removed by hand, as a refused run advises, with the seal removed too, reads.
        #expect(error.description.hasSuffix("if the edit was deliberate (a lease removed by hand), remove its \"seal\" member too"))
        #expect(try LeaseTable.decode(Sealing.unsealed(Data(text.utf8)), name: "l").leases[0].holder == "h pid 7")
    }

    /// Whitespace after the closing brace (an editor's final newline) is outside what the seal covers.
    @Test func aFinalNewlineChangesNothing() throws {
        for tail in ["\n", "\r\n", "  \n\n"] {
            let data = try Self.pruned.encoded() + Data(tail.utf8)
            #expect(try PrunedState.decode(data, name: "p") == Self.pruned)
            let manifest = try Self.manifest.encoded(layout: StoreLayout()) + Data(tail.utf8)
            #expect(try RunManifest.decode(manifest, name: "m", layout: StoreLayout()) == Self.manifest)
        }
    }

    /// A newer ktape's document is named as such, whatever its seal: the fix is an upgrade.
    @Test func aNewerVersionIsNamedBeforeItsSeal() throws {
        let text = String(decoding: try Self.pruned.encoded(), as: UTF8.self).replacingOccurrences(
            of: "\"version\" : 1", with: "\"version\" : 2")
        let error = try #require(throws: ManifestError.self) { try PrunedState.decode(Data(text.utf8), name: "p") }
        #expect(error.isNewerVersion, "\(error)")
    }
}
