import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// A target broker down for a while as a restore starts (a rolling restart): the restore waits for
/// it up to the stall timeout, as a backup does, instead of failing at the first 10 s request.
/// Time-bound: scripts/test runs it in the process of its own with the other such suites.
@Suite(.serialized) struct TargetOutageTests {
    /// Records the delivered totals of every resume-state document written.
    // @unchecked Sendable: `totals` is under `lock`.
    final class StateWrites: ForwardingStore, @unchecked Sendable {
        let base = MemoryStore(name: "memory://fixture")
        var forwardee: any ObjectStore { base }
        private let lock = NSLock()
        private var totals: [Int64] = []
        var deliveredTotals: [Int64] { lock.withLock { totals } }

        func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
            if key.contains("/restore/"), let progress = try? RestoreProgress.decode(Data(body), name: key) {
                lock.withLock { totals.append(progress.partitions.reduce(0) { $0 + $1.deliveredRecords }) }
            }
            return try await base.put(key, body: body, options: options)
        }
    }

    /// The whole queue's delivery reports take a while on a slow target (here 12 round trips of
    /// 100 ms): the state is written as they come, as while producing. It was written only at the
    /// end, so a restore killed meanwhile (an OOM kill) left a state that confirmed nothing. Here,
    /// not beside the whole suite: a producing task kept waiting for a thread there saw every
    /// report arrive before the wait began.
    @Test func theStateKeepsUpWhileTheLastReportsArrive() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let states = StateWrites()
        let fixture = StoreFixture(store: states)
        try await fixture.writeRun(["t": [0: awkwardRecords(count: 60, partition: 0)]], partitionCounts: ["t": 1], perObject: 60)
        try cluster.createTopic("t", partitions: 1)
        try cluster.setRoundTripTime(milliseconds: 100)
        var options = mockOptions(cluster)
        try options.kafka.set("batch.num.messages", "1")
        try options.kafka.set("linger.ms", "0")
        options.stateInterval = 0.05
        #expect(try await restore(fixture, options).summary.producedRecords == 60)
        let totals = states.deliveredTotals
        #expect(totals.last == 60, "\(totals)")
        #expect(totals.contains { $0 > 0 && $0 < 60 }, "\(totals)")
    }

    @Test func aBrokerDownAtTheStartIsWaitedOutWithinTheStallTimeout() async throws {
        let mock = try MockKafkaProcess(topic: "events", partitions: 4, brokers: 3)
        defer { mock.stop() }
        let fixture = StoreFixture()
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for p: Int32 in 0..<4 { records[p] = awkwardRecords(count: 20, partition: p) }
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 4], perObject: 10)
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: mock.bootstrap))
        options.stallTimeout = 60
        try mock.setLeader(topic: "events", partition: 0, broker: 2)
        try mock.setBroker(2, up: false)
        // Longer than one request's 10 s timeout, well inside the stall timeout.
        let back = Task {
            try await Task.sleep(for: .seconds(12))
            try mock.setBroker(2, up: true)
        }
        let result = try await restore(fixture, options)
        try await back.value
        #expect(result.summary.producedRecords == 80)
        let got = try readTarget(options.kafka, topic: "events", partitions: 4)
        for p: Int32 in 0..<4 { #expect(differences(expected: records[p] ?? [], got: got[p] ?? []) == []) }
    }

    /// A stall timeout shorter than one request's 10 s ends the wait when it says (it took 10 s).
    @Test func aShortStallTimeoutEndsTheWaitWhenItSays() async throws {
        let mock = try MockKafkaProcess(topic: "events", partitions: 4, brokers: 3)
        defer { mock.stop() }
        let fixture = StoreFixture()
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for p: Int32 in 0..<4 { records[p] = awkwardRecords(count: 5, partition: p) }
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 4])
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: mock.bootstrap))
        options.stallTimeout = 2
        try mock.setLeader(topic: "events", partition: 0, broker: 2)  // the mock may give it none
        try mock.setBroker(2, up: false)
        let started = Date()
        let error = await #expect(throws: RunFailure.self) { try await restore(fixture, options).summary.line }
        #expect(error?.message.contains("cannot read the end offsets of the target partitions") == true, "\(error?.message ?? "")")
        #expect(Date().timeIntervalSince(started) < 9, "waited \(Date().timeIntervalSince(started)) s")
    }
}
