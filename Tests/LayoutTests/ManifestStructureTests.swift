import Foundation
import Testing
@testable import Layout

@Suite struct ManifestStructureTests {
    @Test func consistentManifestHasNoProblems() {
        let run = ManifestSamples.run(0, range: (0, 20), objects: [ManifestSamples.object(0, 9), ManifestSamples.object(10, 19)])
        #expect(run.structuralProblems(prefix: "").isEmpty)
    }

    @Test func eachDisagreementIsOneLineNamingTheRun() {
        var run = ManifestSamples.run(0, range: (0, 20), objects: [ManifestSamples.object(0, 9)])
        var renamed = ManifestSamples.object(10, 19)
        renamed.firstOffset = 11
        var badHash = ManifestSamples.object(12, 13)
        badHash.sha256 = "XYZ"
        var wrongKind = ManifestSamples.object(14, 15)
        wrongKind.key = wrongKind.key.replacingOccurrences(of: ".ktape.json", with: ".json")
        run.objects += [renamed, badHash, wrongKind, ManifestSamples.object(in: "ghost", 0, 0, 1), ManifestSamples.object(0, 9)]
        run.partitions.append(ManifestPartition(topic: "orders", partition: 5, startOffset: 0, endOffset: 0, endOffsetAtStart: 0))
        let problems = run.structuralProblems(prefix: "")
        let expected = [
            "partition orders/5 is outside the topic's 1 partitions",
            "is named for orders/0 at 10, but holds orders/0 from 11",
            "has no valid sha256 ('XYZ')",
            "is .json, but the run wrote .ktape.json",
            "belongs to ghost/0, which the run did not cover",
            "is listed twice"
        ]
        for fragment in expected {
            #expect(problems.contains { $0.contains(fragment) }, "missing '\(fragment)' in \(problems)")
        }
        #expect(problems.allSatisfy { $0.hasPrefix("run \(run.runId): ") && !$0.contains("\n") })
        #expect(ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)]).structuralProblems(prefix: "p").count == 1)
    }

    @Test func everyObjectHasAWellFormedChecksum() {
        var crc = ManifestSamples.object(0, 9)
        crc.sha256 = nil
        crc.crc64nvme = "rosUhgp5mIg="
        var shortCRC = ManifestSamples.object(10, 11)
        shortCRC.sha256 = nil
        shortCRC.crc64nvme = "rosUhgp5mA=="
        // The same 8 bytes as `crc`'s, with the spare bits ktape leaves clear set.
        var otherSpelling = ManifestSamples.object(12, 13)
        otherSpelling.sha256 = nil
        otherSpelling.crc64nvme = "rosUhgp5mIh="
        var upperSHA = ManifestSamples.object(14, 15)
        upperSHA.sha256 = String(repeating: "AB", count: 32)
        var none = ManifestSamples.object(16, 19)
        none.sha256 = nil
        let run = ManifestSamples.run(0, range: (0, 20), objects: [crc, shortCRC, otherSpelling, upperSHA, none])
        let problems = run.structuralProblems(prefix: "")
        let spelling = "ktape writes 8 bytes in base64, 12 characters"
        #expect(
            problems == [
                "run \(run.runId): object \(shortCRC.key) has no valid crc64nvme ('rosUhgp5mA=='; \(spelling))",
                "run \(run.runId): object \(otherSpelling.key) has no valid crc64nvme ('rosUhgp5mIh='; \(spelling))",
                "run \(run.runId): object \(upperSHA.key) has no valid sha256 ('\(upperSHA.sha256 ?? "")')",
                "run \(run.runId): object \(none.key) has no checksum"
            ])
        #expect(Data(base64Encoded: "rosUhgp5mIh=") == Data(base64Encoded: "rosUhgp5mIg="))
    }

    /// Companion checksums: one per companion, each a size and a well-formed crc64nvme.
    @Test func companionChecksumsMatchTheCompanions() {
        func object(_ first: Int64, companions: Int, checksums: [CompanionChecksum]?) -> ManifestObject {
            var object = ManifestSamples.object(first, first + 1)
            object.companionKeys = (0..<companions).map { "\(object.key).\($0).keys.json" }
            object.companionChecksums = checksums
            return object
        }
        let good = CompanionChecksum(byteSize: 8, crc64nvme: "rosUhgp5mIg=")
        let fine = object(0, companions: 1, checksums: [good])
        let older = object(2, companions: 1, checksums: nil)
        let short = object(4, companions: 2, checksums: [good])
        let badCRC = object(6, companions: 1, checksums: [CompanionChecksum(byteSize: 8, crc64nvme: "rosUhgp5mA==")])
        let run = ManifestSamples.run(0, range: (0, 8), objects: [fine, older, short, badCRC])
        #expect(
            run.structuralProblems(prefix: "") == [
                "run \(run.runId): object \(short.key) has 2 companions but 1 companion checksums",
                "run \(run.runId): object \(badCRC.key) has a companion checksum that is not one (8 bytes, 'rosUhgp5mA==')"
            ])
    }

    /// The byte-by-byte reader of a crc64nvme takes exactly the spellings Foundation's encoder
    /// writes, with Foundation's value, and nothing else (other spellings of 8 bytes included).
    @Test func theChecksumSpellingCheckAgreesWithFoundation() {
        var samples = [
            "", "=", "rosUhgp5mIg", "rosUhgp5mIg==", "rosUhgp5mIh=", "rosUhgp5mI/=", "ros hgp5mIg=", "rosUhgp5mIgA", "rosUhgp5mA==",
            "é234567890a="
        ]
        var generator = SystemRandomNumberGenerator()
        for value in [0, UInt64.max, 1 << 63] + (0..<200).map({ _ in generator.next() as UInt64 }) {
            let text = withUnsafeBytes(of: value.bigEndian) { Data($0).base64EncodedString() }
            samples.append(text)
            // The same with the last character's two spare bits set, or a byte swapped for one outside base64.
            var bytes = Array(text.utf8)
            bytes[10] = bytes[10] == UInt8(ascii: "z") ? UInt8(ascii: "y") : bytes[10] + 1
            samples.append(String(decoding: bytes, as: UTF8.self))
            bytes[Int(value % 11)] = UInt8(ascii: "*")
            samples.append(String(decoding: bytes, as: UTF8.self))
        }
        var otherSpellings = 0
        var read = 0
        for text in samples {
            let data = Data(base64Encoded: text)
            if data?.count == 8 && data?.base64EncodedString() != text { otherSpellings += 1 }
            // The value read by hand is Foundation's, for exactly the texts that encode back the same.
            let value = data.flatMap { $0.count == 8 && $0.base64EncodedString() == text ? $0.reduce(0) { $0 << 8 | UInt64($1) } : nil }
            #expect(RunManifest.eightBytes(canonicalBase64: text) == value, "'\(text)'")
            if value != nil { read += 1 }
        }
        #expect(otherSpellings >= 200)  // spare bits set: Foundation decodes them, ktape's reader refuses them
        #expect(read == 203)  // the 203 values' own spellings
    }

    /// Objects are matched to their partition's record in any order, through runs of one partition,
    /// across records listed twice, and not at all when no record covers them.
    @Test func objectsAreMatchedToTheirPartitionsRecord() {
        var run = ManifestSamples.run(0, range: (0, 20), objects: [])
        run.partitions = [("orders", 0), ("orders", 1), ("audit", 0), ("orders", 2), ("orders", 1)].map {
            ManifestPartition(topic: $0.0, partition: $0.1, startOffset: 0, endOffset: 20, endOffsetAtStart: 20)
        }
        let placed: [(String, Int32)] = [
            ("orders", 0), ("orders", 0), ("orders", 1), ("audit", 0), ("orders", 2), ("orders", 0), ("ghost", 0), ("orders", 2),
            ("orders", 1), ("audit", 1), ("audit", 0)
        ]
        run.objects = placed.enumerated().map { ManifestSamples.object(in: $1.0, $1.1, Int64($0), Int64($0)) }
        let indices = run.partitionRecordIndices()
        #expect(indices.count == placed.count)
        for (position, record) in indices.enumerated() {
            let object = run.objects[position]
            if record < 0 {
                #expect(!run.partitions.contains { $0.topic == object.topic && $0.partition == object.partition })
            } else {
                #expect(run.partitions[Int(record)].topic == object.topic && run.partitions[Int(record)].partition == object.partition)
            }
        }
        #expect(indices.filter { $0 < 0 }.count == 2)
        #expect(
            RunManifest(
                runId: run.runId, previousRunId: nil, job: "j", shard: "all", startedAt: run.startedAt,
                finishedAt: run.finishedAt, store: run.store, configHash: "h", objects: [run.objects[0]]
            ).partitionRecordIndices() == [-1])
    }
}
