import Foundation
import Testing
@testable import Layout

@Suite struct PartitionCoverageTests {
    typealias S = ManifestSamples

    func check(_ covered: [OffsetRange], _ objects: [ManifestObject], _ gaps: [OffsetGap] = []) -> [CoverageProblem] {
        PartitionCoverage.problems(topic: "orders", partition: 0, covered: covered, objects: objects, gaps: gaps)
    }

    @Test func exactTilingHasNoProblems() {
        #expect(check([OffsetRange(0, 30)], [S.object(0, 9), S.object(10, 19), S.object(20, 29)]).isEmpty)
        #expect(check([OffsetRange(5, 5)], []).isEmpty)
    }

    @Test func gapsAndSpansAccountForOffsetsWithoutRecords() {
        let retention = OffsetGap(start: 0, end: 10, reason: .retention)
        let markers = OffsetGap(start: 20, end: 22, reason: .noRecords)
        // Offsets 15…17 were compacted away: the object's span says so.
        let compacted = S.object(10, 19, span: (10, 20), records: 7)
        #expect(check([OffsetRange(0, 22)], [compacted], [retention, markers]).isEmpty)
    }

    @Test func holeBetweenObjectsIsReported() {
        let problems = check([OffsetRange(0, 30)], [S.object(0, 9), S.object(15, 29)])
        #expect(problems.map(\.kind) == [.hole])
        #expect(problems.first?.range == OffsetRange(10, 15))
        #expect(problems.first?.description.hasPrefix("orders/0 [10, 15): hole") == true)
    }

    @Test func missingTailAndHeadAreHoles() {
        let problems = check([OffsetRange(0, 30)], [S.object(5, 19)])
        #expect(problems.map(\.range) == [OffsetRange(0, 5), OffsetRange(20, 30)])
        #expect(problems.allSatisfy { $0.kind == .hole })
    }

    @Test func overlapIsReported() {
        let problems = check([OffsetRange(0, 20)], [S.object(0, 12), S.object(10, 19)])
        #expect(problems.map(\.kind) == [.overlap])
        #expect(problems.first?.range == OffsetRange(10, 13))
    }

    @Test func objectOutsideTheRangeAndBadObjects() {
        let problems = check([OffsetRange(0, 10)], [S.object(0, 9), S.object(10, 12), S.object(5, 3, span: (3, 6), records: 1)])
        #expect(problems.contains { $0.kind == .outside && $0.range == OffsetRange(10, 13) })
        #expect(problems.contains { $0.kind == .badObject })
        let tooMany = check([OffsetRange(0, 10)], [S.object(0, 9, records: 11)])
        #expect(tooMany.map(\.kind) == [.badObject])
    }

    @Test func runsMustJoin() {
        let problems = check([OffsetRange(0, 10), OffsetRange(12, 20)], [S.object(0, 9), S.object(12, 19)])
        #expect(problems.map(\.kind) == [.rangesDisjoint])
        #expect(problems.first?.range == OffsetRange(10, 12))
    }

    @Test func manifestsAcrossRunsAreCheckedTogether() {
        let first = S.run(0, range: (0, 10), objects: [S.object(0, 9)])
        let second = S.run(60, range: (10, 20), objects: [S.object(10, 14)])
        #expect(first.continuityProblems().isEmpty)
        let problems = [first, second].continuityProblems()
        #expect(problems.map(\.range) == [OffsetRange(15, 20)])
    }
}
