import Foundation
import Testing
@testable import Layout

@Suite struct CheckpointTests {
    @Test func nextOffsetIsTheHighestEndOffset() throws {
        let first = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        let second = ManifestSamples.run(60, previous: first.runId, range: (10, 25), objects: [ManifestSamples.object(10, 24)])
        let checkpoint = try Checkpoint.derive(from: [second, first], expectedConfigHash: "h1")
        #expect(checkpoint.nextOffset(topic: "orders", partition: 0) == 25)
        // A partition past those the runs saw was added since: Kafka began it at 0.
        #expect(checkpoint.partitionCounts == ["orders": 1])
        #expect(checkpoint.nextOffset(topic: "orders", partition: 1) == 0)
        #expect(checkpoint.nextOffset(topic: "other", partition: 0) == nil)
        #expect(checkpoint.lastRunId == second.runId)
        #expect(try Checkpoint.derive(from: [], expectedConfigHash: "h1") == Checkpoint())
    }

    /// Partition counts are kept per shard: one shard's run, having seen partitions added, must not
    /// hide them from another shard whose share they fall in (it backed them up from their log start).
    @Test func partitionCountsAreKeptPerShard() throws {
        var before = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        before.shard = "0/2"
        before.topics[0].partitionCount = 2
        var other = ManifestSamples.run(60, previous: before.runId, range: (10, 25), objects: [ManifestSamples.object(10, 24)])
        other.shard = "1/2"
        other.topics[0].partitionCount = 4
        let index = try StoreIndex.of([other, before])
        #expect(index.partitionCounts == ["0/2": ["orders": 2], "1/2": ["orders": 4]])
        #expect(try index.checkpoint(expectedConfigHash: "h1", shard: "0/2").nextOffset(topic: "orders", partition: 2) == 0)
        #expect(try index.checkpoint(expectedConfigHash: "h1", shard: "1/2").nextOffset(topic: "orders", partition: 2) == nil)
        // A shard with no run folded yet (or an unsharded run of a sharded store) knows of no count.
        #expect(try index.checkpoint(expectedConfigHash: "h1").nextOffset(topic: "orders", partition: 2) == nil)
    }

    /// A partition a run found empty is accounted from where it stood, at the lowest offset a run
    /// found, until a run covers it; were its log to start below that, its topic was created again
    /// and starts at its log start (the store holds none of its records; it would skip the new
    /// topic's first records otherwise). Only partitions not already at that offset are written again.
    @Test func aPartitionFoundEmptyIsAccountedFromWhereItStood() throws {
        var first = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        first.topics[0].partitionCount = 3
        first.emptyPartitions = [ManifestEmptyPartition(topic: "orders", partition: 1, offset: 40)]
        var second = ManifestSamples.run(60, previous: first.runId, range: (10, 25), objects: [ManifestSamples.object(10, 24)])
        second.emptyPartitions = [
            ManifestEmptyPartition(topic: "orders", partition: 1, offset: 55),
            ManifestEmptyPartition(topic: "orders", partition: 0, offset: 7)
        ]
        let index = try StoreIndex.of([second, first])
        // Partition 0 was covered: its entry wins, and the index keeps no empty offset for it.
        #expect(index.emptyPartitions == [ManifestEmptyPartition(topic: "orders", partition: 1, offset: 40)])
        let checkpoint = try index.checkpoint(expectedConfigHash: "h1")
        #expect(checkpoint.nextOffset(topic: "orders", partition: 0) == 25)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 1) == 40)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 1, logStart: 40) == 40)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 1, logStart: 52) == 40)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 1, logStart: 39) == nil)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 0, logStart: 3) == 25)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 2) == nil)
        #expect(try Checkpoint.derive(from: [first, second], expectedConfigHash: "h1") == checkpoint)

        let orders = { (p: Int32) in TopicPartition("orders", p) }
        let found = checkpoint.newlyEmpty([(orders(0), 25, 25), (orders(1), 40, 40), (orders(2), 9, 9), (orders(3), 0, 4)])
        #expect(found == [ManifestEmptyPartition(topic: "orders", partition: 2, offset: 9)])
        #expect(checkpoint.newlyEmpty([(orders(1), 3, 3)]) == [ManifestEmptyPartition(topic: "orders", partition: 1, offset: 3)])

        // A run that covers it later drops it from the index.
        var third = ManifestSamples.run(120, previous: second.runId, range: (25, 30), objects: [ManifestSamples.object(25, 29)])
        third.partitions[0].partition = 1
        third.partitions[0].startOffset = 40
        third.partitions[0].endOffset = 45
        var later = index
        try later.fold([third])
        #expect(later.emptyPartitions == nil)
        #expect(try later.checkpoint(expectedConfigHash: "h1").nextOffset(topic: "orders", partition: 1) == 45)
    }

    /// A topic whose offsets no run covered, read from another cluster since: the other cluster's
    /// empty partitions and partition count are dropped (a backup goes on with it, not refused).
    @Test func anotherClustersNotesOfATopicWithNoCoveredOffsetsAreDropped() throws {
        var first = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        first.clusterId = "c1"
        first.topics.append(ManifestTopic(name: "quiet", partitionCount: 4))
        first.emptyPartitions = [ManifestEmptyPartition(topic: "quiet", partition: 2, offset: 30)]
        var second = ManifestSamples.run(60, previous: first.runId, range: (10, 20), objects: [ManifestSamples.object(10, 19)])
        second.clusterId = "c2"
        second.topics.append(ManifestTopic(name: "quiet", partitionCount: 2))
        second.emptyPartitions = [ManifestEmptyPartition(topic: "quiet", partition: 1, offset: 0)]
        let index = try StoreIndex.of([first, second])
        #expect(index.emptyPartitions == [ManifestEmptyPartition(topic: "quiet", partition: 1, offset: 0)])
        #expect(index.partitionCounts?["all"]?["quiet"] == 2)
        // A topic with covered offsets keeps them (the backup refuses the other cluster before it writes).
        #expect(index.partitionCounts?["all"]?["orders"] == 1)
        #expect(index.clusterIds == ["orders": "c2", "quiet": "c2"])

        var checkpoint = try StoreIndex.of([first]).checkpoint(expectedConfigHash: "h1")
        #expect(!checkpoint.coversOffsets(of: "quiet") && checkpoint.coversOffsets(of: "orders"))
        checkpoint.forget("quiet")
        #expect(checkpoint.nextOffset(topic: "quiet", partition: 2) == nil)
        #expect(checkpoint.nextOffset(topic: "quiet", partition: 5) == nil)
        #expect(checkpoint.nextOffset(topic: "orders", partition: 0) == 10)
    }

    /// A run pins the cluster id on every topic it read, new records or not, and the stored
    /// checksum of a partition is that of the run that reached its next offset.
    @Test func clusterIdsCoverEveryTopicReadAndChecksumsFollowTheNextOffset() throws {
        var first = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        first.topics.append(ManifestTopic(name: "quiet", partitionCount: 1))
        first.clusterId = "c1"
        first.partitions[0].lastRecordCrc64nvme = "first"
        var second = ManifestSamples.run(60, previous: first.runId, range: (10, 25), objects: [ManifestSamples.object(10, 24)])
        second.partitions[0].lastRecordCrc64nvme = "second"
        let index = try StoreIndex.of([second, first])
        #expect(index.clusterIds == ["orders": "c1", "quiet": "c1"])
        let checkpoint = try index.checkpoint(expectedConfigHash: "h1")
        #expect(checkpoint.lastRecordChecksums == [TopicPartition("orders", 0): "second"])
        let derived = try Checkpoint.derive(from: [second, first], expectedConfigHash: "h1")
        #expect(derived.clusterIds == checkpoint.clusterIds && derived.lastRecordChecksums == checkpoint.lastRecordChecksums)
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

    /// Two first runs killed in a row: the second's takeover wrote a placeholder for the first with
    /// its own settings. A run with other settings (gzip, say) then finds a store that holds nothing
    /// and goes on; before, the placeholder's hash refused it, and every run after it.
    @Test func aPlaceholderFixesNoSettings() throws {
        let killed = ManifestSamples.run(0, range: (0, 0), objects: [])
        let placeholder = RunManifest.placeholder(
            for: killed.runId, takenOverBy: RunID(rawValue: killed.runId.rawValue + "-taker"), job: "j", at: Date(),
            store: killed.store, configHash: "plain")
        let gzipRun = ManifestSamples.run(60, hash: "gzip", range: (0, 10), objects: [ManifestSamples.object(0, 9)])
        var index = try StoreIndex.of([placeholder])
        #expect(index.configHash == nil)
        try index.fold([gzipRun])
        #expect(index.configHash == "gzip")
        #expect(try index.checkpoint(expectedConfigHash: "gzip").nextOffsets.values.sorted() == [10])
        #expect(try Checkpoint.derive(from: [placeholder, gzipRun], expectedConfigHash: "gzip").lastRunId == gzipRun.runId)
        // A real run's settings still hold against a later other.
        #expect(throws: CheckpointError.self) { try index.fold([ManifestSamples.run(120, hash: "plain", range: (10, 20), objects: [])]) }
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
