import Checksums
import Foundation
import Inspection
import Layout
import ObjectStore
import Testing

/// A bucket Confluent's S3 sink wrote (JsonFormat values with `.keys.json` companions, no manifests):
/// verify reads and decodes what the listing holds, and says checksums need manifests.
@Suite("verify and ls of a store without manifests")
struct ConfluentStoreTests {
    static let values0 = "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"
    static let keys0 = "\"a\"\n\"b\"\n\"c\"\n"
    static let values3 = "{\"id\":4}\n[1,2]\n"

    func confluentBucket() throws -> InspectionFixture {
        let fixture = try InspectionFixture()
        try fixture.write("topics/clicks/partition=0/clicks+0+0000000000.json", Array(Self.values0.utf8))
        try fixture.write("topics/clicks/partition=0/clicks+0+0000000000.keys.json", Array(Self.keys0.utf8))
        try fixture.write("topics/clicks/partition=0/clicks+0+0000000003.json", Array(Self.values3.utf8))
        try fixture.write("topics/clicks/partition=2/clicks+2+0000000010.json", Array("\"x\"\n".utf8))
        return fixture
    }

    @Test func cleanBucketPassesWithANote() async throws {
        let report = try await confluentBucket().verify()
        #expect(report.problems == [])
        #expect(report.objectsChecked == 3)
        #expect(report.companionsChecked == 1)
        #expect(report.recordsChecked == 6)
        #expect(report.notes.contains { $0.hasPrefix("no manifests: every object is read and decoded, but sizes and checksums") })
    }

    /// With --structure-only nothing is read: the note no longer says every object is decoded.
    @Test func structureOnlyDoesNotClaimToDecode() async throws {
        let report = try await confluentBucket().verify(VerifyOptions(readData: false))
        #expect(report.problems == [])
        #expect(!report.notes.contains { $0.contains("every object is read and decoded") }, "\(report.notes)")
        #expect(
            report.notes.contains {
                $0.hasPrefix("no manifests: only reading and decoding the objects checks them, which --structure-only leaves out")
            },
            "\(report.notes)")
    }

    @Test func companionShorterThanItsObjectIsAProblem() async throws {
        let fixture = try confluentBucket()
        let keys = "topics/clicks/partition=0/clicks+0+0000000000.keys.json"
        try fixture.write(keys, Array("\"a\"\n\"b\"\n".utf8))
        let report = try await fixture.verify()
        #expect(
            report.problems.map(\.description) == [
                "\(keys): has 2 lines, its data object topics/clicks/partition=0/clicks+0+0000000000.json holds 3 records"
            ])
    }

    @Test func undecodableLineIsNamedWithItsLineNumber() async throws {
        let fixture = try confluentBucket()
        let key = "topics/clicks/partition=0/clicks+0+0000000003.json"
        try fixture.write(key, Array("{\"id\":4}\n{\"id\":\n".utf8))
        let report = try await fixture.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.subject == key)
        #expect(report.problems.first?.message.hasPrefix("damaged content: line 2:") == true)
    }

    @Test func overlappingObjectsAreAProblem() async throws {
        let fixture = try confluentBucket()
        // Starts at offset 2, which the first object (offsets 0…2) already holds.
        try fixture.write("topics/clicks/partition=0/clicks+0+0000000002.json", Array("{\"id\":9}\n".utf8))
        let report = try await fixture.verify()
        #expect(report.problems.map(\.subject) == ["clicks/0"])
        #expect(report.problems.first?.message.contains("clicks+0+0000000002.json starts at offset 2") == true)
    }

    @Test func lsDescribesTheListing() async throws {
        let fixture = try confluentBucket()
        let summary = try StoreSummary(try await StoreContents.load(store: fixture.store, layout: fixture.layout, sizes: .shown))
        #expect(summary.source == .listing)
        #expect(summary.topics.map(\.name) == ["clicks"])
        let partitions = try #require(summary.topics.first?.partitions)
        #expect(partitions.map(\.partition) == [0, 2])
        #expect(partitions[0].startOffset == 0)
        #expect(partitions[0].lastObjectStartOffset == 3)
        #expect(partitions[0].endOffset == nil)
        #expect(partitions[0].records == nil)
        #expect(partitions[0].objects == 2)
        #expect(partitions[0].bytes == Int64(Self.values0.utf8.count + Self.keys0.utf8.count + Self.values3.utf8.count))
        #expect(summary.orphans == [])
        #expect(summary.totals.records == nil)
        #expect(summary.tableText().contains("no ktape manifests"))
    }
}

/// A confluent-json backup with `--store-keys`: the manifest names each `.keys.json` companion.
@Suite("verify of a confluent-json store with manifests")
struct ConfluentManifestTests {
    func store(companionChecksums: Bool = true) async throws -> (InspectionFixture, ManifestObject) {
        let fixture = try InspectionFixture()
        let layout = fixture.layout
        let values = Array("{\"id\":1}\n{\"id\":2}\n".utf8)
        let keys = Array("\"a\"\n\"b\"\n".utf8)
        let name = try ObjectKey(topic: "clicks", partition: 0, startOffset: 5, kind: ObjectFileKind(.values))
        let key = layout.key(for: name)
        let keysKey = layout.key(for: name.with(kind: ObjectFileKind(.keys)))
        try fixture.write(key, values)
        try fixture.write(keysKey, keys)
        let object = ManifestObject(
            key: key, topic: "clicks", partition: 0, firstOffset: 5, lastOffset: 6, recordCount: 2,
            byteSize: Int64(values.count), sha256: Digest.hex(Digest.sha256(values)), companionKeys: [keysKey],
            companionChecksums: companionChecksums
                ? [CompanionChecksum(byteSize: Int64(keys.count), crc64nvme: CRC64NVME.checksum(keys).base64)] : nil)
        let runId = RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_000), shard: "all", randomSuffix: 7)
        let manifest = RunManifest(
            runId: runId, previousRunId: nil, job: "json", shard: "all", startedAt: Date(), finishedAt: Date(),
            store: ManifestStoreSettings(topicsDir: "topics", format: .confluentJSON, compression: .none),
            configHash: "h", topics: [ManifestTopic(name: "clicks", partitionCount: 1)],
            partitions: [ManifestPartition(topic: "clicks", partition: 0, startOffset: 5, endOffset: 7, endOffsetAtStart: 7)],
            objects: [object])
        try fixture.write(layout.runManifestKey(runId), Array(try manifest.encoded(layout: layout)))
        return (fixture, object)
    }

    @Test func cleanStorePassesWithItsCompanion() async throws {
        let (fixture, _) = try await store()
        let report = try await fixture.verify()
        #expect(report.problems == [])
        #expect(report.warnings == [])
        #expect(report.companionsChecked == 1)
        #expect(report.recordsChecked == 2)
    }

    /// A companion changed after the backup but still one decodable line per record: only its
    /// recorded checksum tells (a manifest without one passes, as before companion checksums).
    @Test func changedCompanionIsFoundByItsChecksum() async throws {
        for recorded in [true, false] {
            let (fixture, object) = try await store(companionChecksums: recorded)
            let changed = Array("\"a\"\n\"c\"\n".utf8)
            try fixture.write(object.companionKeys[0], changed)
            let report = try await fixture.verify()
            let expected =
                recorded
                ? [
                    "\(object.companionKeys[0]): CRC64NVME \(CRC64NVME.checksum(changed).base64) differs from the manifest's "
                        + "\(object.companionChecksums?.first?.crc64nvme ?? ""): the companion's bytes changed"
                ] : []
            #expect(report.problems.map(\.description) == expected, "checksums recorded: \(recorded)")
        }
    }

    /// The listing alone shows a companion of another size than recorded (verify --structure-only too).
    @Test func companionOfAnotherSizeIsAStructureProblem() async throws {
        let (fixture, object) = try await store()
        try fixture.write(object.companionKeys[0], Array("\"a\"\n\"bb\"\n".utf8))
        let report = try await fixture.verify()
        let run = RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_000), shard: "all", randomSuffix: 7)
        #expect(report.problems.map(\.description) == ["\(object.companionKeys[0]): is 9 bytes, run \(run) recorded 8"])
    }

    @Test func missingCompanionIsAProblem() async throws {
        let (fixture, object) = try await store()
        try fixture.remove(object.companionKeys[0])
        let report = try await fixture.verify()
        #expect(
            report.problems.map(\.description) == [
                "\(object.companionKeys[0]): is missing (a companion of \(object.key), named by run \(RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_000), shard: "all", randomSuffix: 7)))"
            ])
    }
}

/// `ls` and `verify` of buckets in other sink layouts, and of stores whose objects ls does not read:
/// it says what it found and why, never "nothing is stored here".
@Suite struct SinkLayoutInspectionTests {
    func summary(_ fixture: InspectionFixture) async throws -> StoreSummary {
        try StoreSummary(try await StoreContents.load(store: fixture.store, layout: fixture.layout, sizes: .shown))
    }

    @Test func timeAndFieldPartitionerBucketsAreListedAndVerified() async throws {
        let fixture = try InspectionFixture()
        try fixture.write("topics/clicks/year=2026/month=11/day=24/hour=13/clicks+0+00000.json", Array("1\n2\n".utf8))
        try fixture.write("topics/clicks/year=2026/month=11/day=24/hour=14/clicks+0+00002.json", Array("3\n".utf8))
        // Interleaved across field folders: no overlap within a folder.
        try fixture.write("topics/orders/region=us/orders+0+0000000000.json", Array("1\n2\n".utf8))
        try fixture.write("topics/orders/region=eu/orders+0+0000000001.json", Array("3\n".utf8))
        let listed = try await summary(fixture)
        #expect(listed.source == .listing)
        #expect(listed.topics.map(\.name) == ["clicks", "orders"])
        #expect(listed.topics.first?.partitions.first?.objects == 2)
        #expect(listed.topics.first?.partitions.first?.lastObjectStartOffset == 2)
        #expect(listed.strays == [])
        let report = try await fixture.verify()
        #expect(report.problems == [])
        #expect(report.objectsChecked == 4)
    }

    /// Each record is in one file, named by the first one's offset: two files starting at the same
    /// offset in two folders (a wall-clock partitioner's sink writing offsets again after a restart)
    /// hold the same records twice.
    @Test func objectsOfTwoFoldersStartingAtTheSameOffsetAreAProblem() async throws {
        let fixture = try InspectionFixture()
        try fixture.write("topics/clicks/hour=13/clicks+0+0000000000.json", Array("1\n2\n".utf8))
        try fixture.write("topics/clicks/hour=14/clicks+0+0000000000.json", Array("1\n2\n".utf8))
        let report = try await fixture.verify()
        #expect(
            report.problems.map(\.description) == [
                "clicks/0: topics/clicks/hour=13/clicks+0+0000000000.json and topics/clicks/hour=14/clicks+0+0000000000.json both start at offset 0: the same records written twice"
            ])
    }

    @Test func objectsNoLayoutReadsAreNamedNotNothing() async throws {
        let fixture = try InspectionFixture()
        try fixture.write("topics/orders/partition=0/orders+0+0000000000.avro", [1, 2, 3])
        let text = try await summary(fixture).tableText()
        #expect(!text.contains("nothing is stored here"))
        #expect(text.contains("1 key there is outside every layout it reads"))
        #expect(text.contains("orders+0+0000000000.avro: unknown extension '.avro'"))
    }

    @Test func objectsUnderAnotherTopicsDirAreFoundWithAHint() async throws {
        let fixture = try InspectionFixture()
        try fixture.write("data/kafka/orders/hour=13/orders+0+00000.json", Array("1\n".utf8))
        try fixture.write("README.txt", Array("hello\n".utf8))
        let listed = try await summary(fixture)
        #expect(listed.source == .empty)
        #expect(listed.elsewhere?.objects == 2)
        #expect(listed.elsewhere?.suggestedTopicsDir == "data/kafka")
        let text = listed.tableText()
        #expect(!text.contains("nothing is stored here"))
        #expect(text.contains("but the store holds 2 objects elsewhere"))
        #expect(text.contains("list them with --topics-dir data/kafka"))
        #expect(try listed.jsonText().contains("\"suggestedTopicsDir\" : \"data/kafka\""))
    }

    /// Stores copied under a deeper prefix: the hint names the store (where its manifests are), not
    /// its topics dir, which read alone would skip every manifest check.
    @Test(arguments: ["", "copies"])
    func aStoreBelowThePrefixIsNamedAsAStore(prefix: String) async throws {
        let fixture = try InspectionFixture(layout: StoreLayout(prefix: prefix, topicsDir: "topics"))
        let root = prefix.isEmpty ? "" : prefix + "/"
        try fixture.write(root + "deeper/cj/_ktape/runs/20261124T122914.123Z-all-1234abcd.json", Array("{}".utf8))
        try fixture.write(root + "deeper/cj/topics/orders/partition=0/orders+0+0000000000.json", Array("1\n".utf8))
        let listed = try await summary(fixture)
        #expect(listed.elsewhere?.suggestedStoreFolder == "deeper/cj")
        let text = listed.tableText()
        // The store's own prefix is part of the name (an S3 store's location is its bucket).
        let named = ([listed.store] + (prefix.isEmpty ? [] : [prefix]) + ["deeper/cj"]).joined(separator: "/")
        #expect(text.contains("a ktape store (its run manifests) is under deeper/cj/: name it with --store \(named)"), "\(text)")
        #expect(!text.contains("--topics-dir"), "\(text)")
    }
}
