import Foundation
import Testing
@testable import Backup
import Kafka
import Layout
import ObjectStore
import KtapeTestSupport

/// Brokers going down mid-run and coming back: librdkafka reconnects and the run completes.
@Suite struct BrokerOutageTests {
    @Test func aRunSurvivesBrokersGoingDownAndComingBack() async throws {
        // A cluster of its own process: see MockKafkaProcess on taking brokers down.
        let mock = try MockKafkaProcess(topic: "unused", partitions: 1, brokers: 3)
        defer { mock.stop() }
        let fixture = BackupFixture(process: mock)
        let topic = try fixture.topic("outage", partitions: 3)
        try fixture.produceJSON(topic: topic, partitions: 3, count: 3000)
        let store = MemoryStore()
        var request = try fixture.request(store: store, topics: [topic], ["max-open-objects": "1", "flush-size": "250"])
        let outage = OutageSwitch()
        request.progressInterval = 0
        request.progress = { _ in
            guard outage.startOnce() else { return }
            for broker in [2, 3] { outage.note(Result { try mock.setBroker(broker, up: false) }) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                for broker in [2, 3] { outage.note(Result { try mock.setBroker(broker, up: true) }) }
            }
        }
        let summary = try await BackupEngine.run(request)
        #expect(outage.started)
        #expect(outage.failures.isEmpty, "\(outage.failures)")
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

// @unchecked Sendable: its mutable state is under `lock`.
final class OutageSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var errors: [String] = []
    var started: Bool { lock.withLock { done } }
    /// Brokers the mock could not take down or bring up.
    var failures: [String] { lock.withLock { errors } }
    func note(_ result: Result<Void, Error>) {
        if case .failure(let error) = result { lock.withLock { errors.append("\(error)") } }
    }
    /// True the first time only.
    func startOnce() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}
