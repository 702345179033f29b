import Foundation
@testable import Layout

/// Small manifests built in code for the manifest and checkpoint tests.
enum ManifestSamples {
    static let start = Date(timeIntervalSince1970: 1_795_523_354.123)

    static func object(_ first: Int64, _ last: Int64, span: (Int64, Int64)? = nil, records: Int64? = nil) -> ManifestObject {
        object(in: "orders", 0, first, last, span: span, records: records)
    }

    static func object(
        in topic: String, _ partition: Int32, _ first: Int64, _ last: Int64,
        span: (Int64, Int64)? = nil, records: Int64? = nil
    ) -> ManifestObject {
        let key = "topics/\(topic)/partition=\(partition)/\(topic)+\(partition)+\(ObjectKey.paddedOffset(first)).ktape.json"
        return ManifestObject(
            key: key, topic: topic, partition: partition, firstOffset: first, lastOffset: last,
            spanStart: span?.0, spanEnd: span?.1, recordCount: records ?? (last - first + 1),
            byteSize: 100, sha256: String(repeating: "ab", count: 32))
    }

    static func run(
        _ minutes: Double, hash: String = "h1", previous: RunID? = nil, range: (Int64, Int64),
        objects: [ManifestObject], gaps: [OffsetGap] = []
    ) -> RunManifest {
        let started = start.addingTimeInterval(minutes * 60)
        return RunManifest(
            runId: RunID(startedAt: started, shard: "all", randomSuffix: 0x1234abcd), previousRunId: previous,
            job: "nightly", shard: "all", startedAt: started, finishedAt: started.addingTimeInterval(5),
            store: ManifestStoreSettings(topicsDir: "topics", format: .envelope, compression: .none), configHash: hash,
            topics: [ManifestTopic(name: "orders", partitionCount: 1, configs: ["retention.ms": "604800000"])],
            partitions: [
                ManifestPartition(
                    topic: "orders", partition: 0, startOffset: range.0, endOffset: range.1,
                    endOffsetAtStart: range.1, gaps: gaps)
            ],
            objects: objects,
            consumerGroupOffsets: [ManifestGroupOffset(group: "billing", topic: "orders", partition: 0, offset: 3)])
    }
}
