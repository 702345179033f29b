import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore

/// Brokers going down mid-run and coming back: librdkafka reconnects and the run completes.
@Suite struct BrokerOutageTests {
    @Test func aRunSurvivesBrokersGoingDownAndComingBack() async throws {
        let fixture = try BackupFixture(brokers: 3)
        let topic = try fixture.topic("outage", partitions: 3)
        try fixture.produceJSON(topic: topic, partitions: 3, count: 3000)
        let store = MemoryStore()
        var request = try fixture.request(store: store, topics: [topic], ["max-open-objects": "1", "flush-size": "250"])
        let cluster = fixture.cluster
        let outage = OutageSwitch()
        request.progressInterval = 0
        request.progress = { _ in
            guard outage.startOnce() else { return }
            try? cluster.setBrokerDown(2)
            try? cluster.setBrokerDown(3)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                try? cluster.setBrokerUp(2)
                try? cluster.setBrokerUp(3)
            }
        }
        let summary = try await BackupEngine.run(request)
        #expect(outage.started)
        #expect(summary.records == 3000)
        let manifests = try await StoreContents.manifests(store)
        #expect(manifests.continuityProblems().isEmpty)
        var offsets: [Int32: [Int64]] = [:]
        for object in manifests.flatMap(\.objects) {
            offsets[object.partition, default: []] += try StoreContents.envelopeOffsets(try await store.get(object.key))
        }
        #expect(offsets.mapValues { $0.sorted() } == [0: Array(0..<1000), 1: Array(0..<1000), 2: Array(0..<1000)])
    }
}

final class OutageSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    var started: Bool { lock.withLock { done } }
    /// True the first time only.
    func startOnce() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}
