import Failures
import Foundation
import KtapeTestSupport
import ObjectStore
import Testing
import Threads
@testable import Backup
@testable import Kafka

/// A Kafka call that retries for the stall timeout itself (the plan's ListOffsets) and the watch over
/// it end at the same moment: the line must be the stall's whichever ends first. A killed broker's
/// "made no progress" line came out as "reading the offsets of t/0: … _TIMED_OUT" in 1 of 2 runs.
struct KafkaWaitsTests {
    /// A clock the test moves by hand.
    final class HandClock: @unchecked Sendable {
        private let lock = NSLock()
        private var now = Date(timeIntervalSince1970: 1_800_000_000)
        func read() -> Date { lock.withLock { now } }
        func advance(_ seconds: TimeInterval) { lock.withLock { now += seconds } }
    }

    func waits(_ fixture: BackupFixture, clock: HandClock, lastError: KafkaError? = nil) throws -> KafkaWaits {
        var request = try fixture.request(store: MemoryStore(), topics: ["t"])
        request.stallTimeout = 3
        return KafkaWaits(request: request, watch: StallWatch(timeout: 3, clock: { clock.read() }), lastError: { lastError })
    }

    /// The line names the retried answer when there was one (it was lost to the client's last report
    /// under AddressSanitizer, where the retry ended first), and the client's report when the call
    /// only timed out.
    @Test func theStallNamesTheRetriedAnswerOrTheClientsReport() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let refused = KafkaError(code: .transport, operation: "connect", detail: "Connection refused")
        for (answer, named) in [(KafkaError.Code(rawValue: 78), "OFFSET_NOT_AVAILABLE"), (.timedOut, "Connection refused")] {
            let clock = HandClock()
            let waits = try waits(fixture, clock: clock, lastError: refused)
            let error = await #expect(throws: RunFailure.self) {
                try await waits.run("reading the offsets of t/0") { () -> Int in
                    clock.advance(3.5)
                    throw KafkaError(code: answer, operation: "list offsets")
                }
            }
            #expect(
                error?.message.contains("made no progress for 3 s") == true && error?.message.contains(named) == true,
                "\(error?.message ?? "")")
        }
    }

    @Test func aRetriedAnswerOutlastingTheWatchIsTheStall() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let clock = HandClock()
        let waits = try waits(fixture, clock: clock)
        let error = await #expect(throws: RunFailure.self) {
            try await waits.run("reading the offsets of t/0") { () -> Int in
                clock.advance(3.5)
                throw KafkaError(code: .timedOut, operation: "list offsets")
            }
        }
        let message = try #require(error?.message)
        #expect(
            message.hasPrefix(
                "Kafka cluster \(fixture.kafka.bootstrapServers) made no progress for 3 s while reading the offsets of t/0 (last error: "),
            "\(message)")
        #expect(message.contains("_TIMED_OUT"), "\(message)")
    }

    @Test func aRetriableAnswerAtOnceKeepsItsOwnLine() async throws {
        let fixture = try BackupFixture(brokers: 1)
        let waits = try waits(fixture, clock: HandClock())
        let error = await #expect(throws: RunFailure.self) {
            try await waits.run("reading the offsets of t/0") { () -> Int in
                throw KafkaError(code: .timedOut, operation: "list offsets")
            }
        }
        #expect(error?.message.hasPrefix("reading the offsets of t/0: list offsets") == true, "\(error?.message ?? "")")
    }
}
