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
        var none = ManifestSamples.object(12, 19)
        none.sha256 = nil
        let run = ManifestSamples.run(0, range: (0, 20), objects: [crc, shortCRC, none])
        let problems = run.structuralProblems(prefix: "")
        #expect(
            problems == [
                "run \(run.runId): object \(shortCRC.key) has no valid crc64nvme ('rosUhgp5mA==')",
                "run \(run.runId): object \(none.key) has no checksum"
            ])
    }
}
