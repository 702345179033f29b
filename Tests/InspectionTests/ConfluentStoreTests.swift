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
        #expect(report.notes.contains { $0.contains("checksums need manifests") })
    }

    @Test func companionShorterThanItsObjectIsAProblem() async throws {
        let fixture = try confluentBucket()
        let keys = "topics/clicks/partition=0/clicks+0+0000000000.keys.json"
        try fixture.write(keys, Array("\"a\"\n\"b\"\n".utf8))
        let report = try await fixture.verify()
        #expect(report.problems.map(\.description) == [
            "\(keys): has 2 lines, its data object topics/clicks/partition=0/clicks+0+0000000000.json holds 3 records",
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
        let summary = try StoreSummary(try await StoreContents.load(store: fixture.store, layout: fixture.layout))
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
