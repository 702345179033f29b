import Failures
import Foundation
import Kafka
import KtapeTestSupport
import Layout
import ObjectStore
import Testing
@testable import Backup

/// A cluster that dies (killed) or stops answering (frozen) after the run connected: the run fails
/// within the stall timeout with one line naming the cluster and what it waited for, releases its
/// lease and writes no manifest. Before, a run whose broker died while it planned waited in
/// per-partition offset queries for minutes (seen past 420 s).
@Suite struct BrokerDeathTests {
    static let stall: TimeInterval = 3

    /// `signal` hits the cluster just before the first put of a key `when` selects.
    func runDying(_ signal: Int32, when matches: @escaping @Sendable (String) -> Bool) async throws -> (RunFailure?, HookStore, String) {
        let mock = try MockKafkaProcess(topic: "unused", partitions: 1, brokers: 1)
        defer {
            mock.send(SIGCONT)
            mock.stop()
        }
        let fixture = BackupFixture(process: mock)
        let topic = try fixture.topic("dying", partitions: 64)
        try fixture.produceJSON(topic: topic, partitions: 64, count: 6400)
        let store = HookStore(when: matches) { mock.send(signal) }
        var request = try fixture.request(store: store, topics: [topic], ["max-open-objects": "12", "flush-size": "10"])
        request.stallTimeout = Self.stall
        let run = request
        // Generous for a loaded machine, far below the minutes a planning wait took before.
        let outcome = try await within(Self.stall * 30) { () -> String? in
            do {
                _ = try await BackupEngine.run(run)
                return nil
            } catch let error as RunFailure {
                return error.message
            }
        }
        return (outcome.map { RunFailure(.failure, $0) }, store, mock.bootstrap)
    }

    /// The lock the runs leave holding no lease.
    static let lockKey = "_ktape/locks/store.json"

    @Test(arguments: [SIGKILL, SIGSTOP])
    func aClusterGoneWhilePlanningEndsTheRun(_ signal: Int32) async throws {
        // The lease is taken after connecting and before the partitions' offsets are asked for.
        let (error, store, bootstrap) = try await runDying(signal) { $0.hasSuffix("_ktape/locks/store.json") }
        let message = try #require(error?.message, "the run succeeded with its cluster gone")
        #expect(message.contains("Kafka cluster \(bootstrap) made no progress for 3 s while"), "\(message)")
        #expect(try await store.base.listAll(prefix: "_ktape/").map(\.key) == [Self.lockKey], "manifest left behind")
        #expect(try await store.base.holdsNoLease(Self.lockKey), "lease left behind")
    }

    /// A cluster nobody answers for from the start: the line names what librdkafka last said (it
    /// named only "while connecting", though -v showed "Connection refused").
    @Test func aClusterThatNeverAnswersIsNamedWithItsLastError() async throws {
        let fixture = try BackupFixture(brokers: 1)
        var request = try fixture.request(store: MemoryStore(), topics: ["t"])
        // Loopback port 1: nothing listens, so every connection is refused at once.
        request.kafka = KafkaConfig(bootstrapServers: "127.0.0.1:1")
        request.stallTimeout = Self.stall
        // As a run with the defaults meets it: the stall timeout ends the wait before the connect timeout.
        request.connectTimeout = 10
        let run = request
        let error = await #expect(throws: RunFailure.self) { _ = try await BackupEngine.run(run) }
        let message = try #require(error?.message)
        #expect(message.hasPrefix("Kafka cluster 127.0.0.1:1 made no progress for 3 s while connecting (last error: "), "\(message)")
        #expect(message.contains("Connection refused"), "\(message)")
    }

    /// With the connect timeout and no stall timeout, a cluster out of reach is a failure (exit 1)
    /// with one line in bounded time: without it librdkafka would retry forever. Timed here, in the
    /// pass that runs alone: in the whole suite the 3 s run measured up to 63 s, the suite's tests
    /// holding the test process's two cooperative threads.
    @Test func anUnreachableClusterFailsWithinTheConnectTimeout() async throws {
        let fixture = try BackupFixture(brokers: 1)
        var request = try fixture.request(store: MemoryStore(), topics: ["t"])
        request.kafka = KafkaConfig(bootstrapServers: "127.0.0.1:1")
        request.connectTimeout = 3
        let started = Date()
        let error = await #expect(throws: RunFailure.self) { try await BackupEngine.run(request) }
        #expect(Date().timeIntervalSince(started) < SanitizerTiming.seconds(60))
        #expect(error?.kind == .failure)
        #expect(error?.message.contains("127.0.0.1:1") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
    }

    @Test(arguments: [SIGKILL, SIGSTOP])
    func aClusterGoneWhileReadingEndsTheRun(_ signal: Int32) async throws {
        let (error, store, bootstrap) = try await runDying(signal) { $0.hasPrefix("topics/") }
        let message = try #require(error?.message, "the run succeeded with its cluster gone")
        #expect(message.contains("Kafka cluster \(bootstrap) made no progress for 3 s while reading "), "\(message)")
        #expect(message.contains(" and 4 more"), "12 partitions open, 8 named: \(message)")
        #expect(try await store.base.listAll(prefix: "_ktape/").map(\.key) == [Self.lockKey], "manifest left behind")
        #expect(try await store.base.holdsNoLease(Self.lockKey), "lease left behind")
    }

    @Test func aStopRequestEndsTheRunCleanly() async throws {
        let mock = try MockKafkaProcess(topic: "unused", partitions: 1, brokers: 1)
        defer { mock.stop() }
        let fixture = BackupFixture(process: mock)
        let topic = try fixture.topic("stopped", partitions: 8)
        try fixture.produceJSON(topic: topic, partitions: 8, count: 800)
        var request = try fixture.request(store: MemoryStore(), topics: [topic], ["max-open-objects": "1", "flush-size": "10"])
        let store = HookStore(when: { $0.hasPrefix("topics/") }) { [stop = request.stop] in stop.request("SIGTERM") }
        request.store = store
        let run = request
        let error = await #expect(throws: RunFailure.self) { try await within(60) { try await BackupEngine.run(run) } }
        #expect(error?.kind == .interrupted)
        #expect(error?.message.hasPrefix("interrupted by SIGTERM") == true, "\(error?.message ?? "")")
        #expect(try await store.base.listAll(prefix: "_ktape/").map(\.key) == [Self.lockKey], "manifest left behind")
        #expect(try await store.base.holdsNoLease(Self.lockKey), "lease left behind")
        #expect(try await store.base.listMultipartUploads(prefix: "").isEmpty)
    }
}
