import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// A topic this store followed from this cluster that `topics-regex` still matches but the cluster
/// no longer lists (deleted, or hidden by an ACL) is named in a warning on every run: a regex takes what exists, and
/// the run backed none of it up without a word.
@Suite struct MissingTopicTests {
    @Test func aFollowedTopicMissingFromTheClusterIsNamed() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let topic = try fixture.topic("followed", partitions: 1)
        try fixture.produceJSON(topic: topic, partitions: 1, count: 4)
        let store = MemoryStore()
        let flags = ["topics-regex": "^\(topic)(-.*)?$"]
        #expect(try await fixture.backup(store: store, topics: [topic], flags).records == 4)
        #expect(WarningLog.shared.lines(containing: "not in the cluster").filter { $0.contains(topic) }.isEmpty)

        // The index as if runs had followed two more topics, one the regex matches; the mock cannot
        // delete topics.
        let layout = StoreLayout()
        var index = try StoreIndex.decode(Data(try await store.get(layout.indexKey)), name: "index")
        index.partitions += [
            StoreIndex.Entry(topic: "\(topic)-gone", partition: 0, nextOffset: 7),
            StoreIndex.Entry(topic: "elsewhere-\(topic)", partition: 0, nextOffset: 3),
            StoreIndex.Entry(topic: "\(topic)-far", partition: 0, nextOffset: 5)
        ]
        // Another job of the store reads that one from another cluster: not this one's to miss.
        index.clusterIds?["\(topic)-far"] = "another-cluster"
        _ = try await store.put(layout.indexKey, body: Array(try index.encoded()))
        let run = try await fixture.backup(store: store, topics: [topic], flags)
        #expect(run.records == 0 && run.missingTopics == ["\(topic)-gone"], "\(run)")
        let lines = WarningLog.shared.lines(containing: "\(topic)-gone")
        #expect(lines.count == 1, "\(lines)")
        #expect(
            lines.first?.hasPrefix(
                "topic \(topic)-gone, which this store's runs followed and topics-regex matches, is not in the cluster's metadata") == true
        )
        #expect(WarningLog.shared.lines(containing: "elsewhere-\(topic)").isEmpty)
        #expect(WarningLog.shared.lines(containing: "\(topic)-far").isEmpty)
    }
}
