import Foundation
import Testing
@testable import Layout

@Suite struct CheckpointTests {
    @Test func nextOffsetIsTheHighestEndOffset() throws {
        let first = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        let second = ManifestSamples.run(60, previous: first.runId, range: (10, 25), objects: [ManifestSamples.object(10, 24)])
        let checkpoint = try Checkpoint.derive(from: [second, first], expectedConfigHash: "h1")
        #expect(checkpoint.nextOffset(topic: "orders", partition: 0) == 25)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 1) == nil)
        #expect(checkpoint.lastRunId == second.runId)
        #expect(try Checkpoint.derive(from: [], expectedConfigHash: "h1") == Checkpoint())
    }

    @Test func refusesARunWithAnotherConfigHash() throws {
        let first = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        let changed = ManifestSamples.run(60, hash: "h2", range: (10, 20), objects: [ManifestSamples.object(10, 19)])
        do {
            _ = try Checkpoint.derive(from: [first, changed], expectedConfigHash: "h1")
            Issue.record("mixed config hashes accepted")
        } catch let error as CheckpointError {
            #expect(error.runId == changed.runId)
            #expect(error.description.hasPrefix("run \(changed.runId.rawValue): config hash h2 differs"))
            // Another topics dir under the same prefix meets the same runs: only another prefix helps.
            #expect(error.description.hasSuffix("back it up into another store prefix (one prefix holds one set of runs)"))
            #expect(!error.description.contains("use another topics-dir"))
        }
    }

    @Test func objectsOfAPartitionComeSorted() {
        let run = ManifestSamples.run(
            0, range: (0, 30),
            objects: [
                ManifestSamples.object(20, 29), ManifestSamples.object(0, 9), ManifestSamples.object(in: "other", 0, 5, 6),
                ManifestSamples.object(10, 19)
            ])
        #expect(run.objects(topic: "orders", partition: 0).map(\.firstOffset) == [0, 10, 20])
        #expect([run].objects(topic: "other", partition: 0).count == 1)
    }

    @Test func asOfDropsLaterRuns() throws {
        let a = ManifestSamples.run(0, range: (0, 10), objects: [])
        let b = ManifestSamples.run(60, range: (10, 20), objects: [])
        let c = ManifestSamples.run(120, range: (20, 30), objects: [])
        #expect(try #require([c, a, b].asOf(b.runId)).map(\.runId) == [a.runId, b.runId])
        #expect([a].asOf(RunID(rawValue: "nope")) == nil)
    }
}
