import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Restore
import Testing
import RecordFormats

/// A target cluster that dies (killed) or stops answering (frozen) mid-restore: the restore fails
/// within the stall timeout with one line naming the cluster, keeps what was confirmed in its resume
/// state and releases its lease. Before, a 120 s flush and other waits made it 242 s.
@Suite struct TargetDeathTests {
    static let stall: TimeInterval = 3

    @Test(arguments: [SIGKILL, SIGSTOP])
    func aTargetGoneMidRestoreEndsItWithinTheStallTimeout(_ signal: Int32) async throws {
        let mock = try MockKafkaProcess(topic: "events", partitions: 4, brokers: 1)
        defer {
            mock.send(SIGCONT)
            mock.stop()
        }
        let statePuts = Counter()
        // The third state write comes after production has begun (state is written after every batch).
        let store = HookStore(when: { $0.contains("/_ktape/restore/") && $0.hasSuffix("/events.json") && statePuts.next() == 3 }) {
            mock.send(signal)
        }
        let fixture = StoreFixture(store: store)
        var records: [Int32: [RecordFormats.KafkaRecord]] = [:]
        for p: Int32 in 0..<4 { records[p] = awkwardRecords(count: 3000, partition: p) }
        try await fixture.writeRun(["events": records], partitionCounts: ["events": 4], perObject: 200)
        var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: mock.bootstrap))
        options.bestEffortTimeoutMilliseconds = 300
        options.stallTimeout = Self.stall
        options.stateInterval = 0
        options.chunkSize = 4096
        let run = options
        let target = try targetName(options.kafka)
        // Generous for a loaded machine, far below the 242 s the waits took before.
        let message = try await within(SanitizerTiming.seconds(Self.stall * 30)) { () -> String? in
            do {
                _ = try await RestoreEngine(store: fixture.store, layout: fixture.layout, options: run).run()
                return nil
            } catch let error as RunFailure {
                return error.message
            }
        }
        let line = try #require(message, "the restore succeeded with its target gone")
        #expect(line.contains("target cluster \(mock.bootstrap): no delivery report for 3 s while "), "\(line)")
        // A killed broker refuses connections, which librdkafka reports: the line names it.
        if signal == SIGKILL { #expect(line.contains("(last error: "), "\(line)") }
        // The lease is released and the state document says what was confirmed.
        #expect(try await store.base.holdsNoLease(fixture.layout.restoreLockKey(targetCluster: target)))
        let stateKey = fixture.layout.restoreStateKey(targetCluster: target, topic: "events")
        let state = try RestoreProgress.decode(Data(try await store.base.get(stateKey)), name: stateKey)
        #expect(state.partitions.count == 4)
    }
}

// @unchecked Sendable: its mutable state is under `lock`.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
