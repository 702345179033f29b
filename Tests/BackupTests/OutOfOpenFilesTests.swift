import Failures
import Foundation
import KtapeTestSupport
import ObjectStore
import Testing
@testable import Backup
@testable import Kafka

/// A run that reached its open-files limit fails with a line that says so and exit 2: the same job
/// meets the same limit again. It waited out the stall timeout, then exit 1.
struct OutOfOpenFilesTests {
    static let refused = KafkaError(
        code: .transport, operation: "connect",
        detail: "127.0.0.1:9092/1: Failed to create socket: Too many open files (after 0ms in state CONNECT)")

    @Test func aReadLoopWhoseSocketsAreRefusedStopsAtOnce() throws {
        let fixture = try BackupFixture(brokers: 1)
        var watchdog = ReadWatchdog(request: try fixture.request(store: MemoryStore(), topics: ["t"]))
        watchdog.lastError = Self.refused
        let error = #expect(throws: RunFailure.self) {
            try watchdog.check(handled: 1, waitingFor: { "t/0" }, progress: { [] })
        }
        #expect(error?.isInvalidInput == true)
        #expect(
            error?.message.hasSuffix("Too many open files (after 0ms in state CONNECT) (_TRANSPORT); \(OpenFiles.exhaustedAdvice)") == true,
            "\(error?.message ?? "")")
    }

    @Test func aStallWhoseLastErrorWasTheLimitIsASetting() {
        let stalled = RunFailure.stalled(cluster: "k:9092", seconds: 3, waitingFor: "reading t/0", lastError: Self.refused)
        #expect(stalled.isInvalidInput)
        #expect(stalled.message.hasSuffix("(_TRANSPORT); \(OpenFiles.exhaustedAdvice))"), "\(stalled.message)")
        let other = RunFailure.stalled(
            cluster: "k:9092", seconds: 3, waitingFor: "reading t/0", lastError: KafkaError(code: .transport, operation: "connect"))
        #expect(!other.isInvalidInput && other.message.hasSuffix("so a rerun continues from the last one"), "\(other.message)")
        // The system's table full (ENFILE) passes; it is not this process's limit.
        let system = KafkaError(
            code: .transport, operation: "connect", detail: "127.0.0.1:9092/1: Failed to create socket: Too many open files in system")
        #expect(!system.isOutOfOpenFiles)
        #expect(!RunFailure.stalled(cluster: "k:9092", seconds: 3, waitingFor: "reading t/0", lastError: system).isInvalidInput)
    }

    @Test func aStoreRefusedADescriptorIsASetting() {
        var error = StoreError(.io, operation: "list", location: "file:///b", message: "open /b: Too many open files")
        error.systemError = EMFILE
        #expect(error.isConfigurationError)
        #expect(RunFailure.wrap(error, "lock").exitStatus == ExitStatus.invalidInput)
        #expect(error.description == "list file:///b: open /b: Too many open files; \(OpenFiles.exhaustedAdvice)")
        error.systemError = EIO
        #expect(!error.isConfigurationError && !error.description.contains("open-files"))
    }
}
