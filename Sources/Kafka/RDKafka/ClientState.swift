import CRdKafka
import Foundation
import Layout

/// The Swift side of one librdkafka client that its C callbacks reach through the conf opaque.
/// Callbacks other than logging run on the thread that polls; the lock covers librdkafka's own threads.
// @unchecked Sendable: collected errors and events are under `lock`; the handlers are set before the client starts.
final class ClientState: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [KafkaError] = []
    private var lastClientError: KafkaError?
    private var rebalances: [RebalanceEvent] = []
    let logHandler: (@Sendable (KafkaLogMessage) -> Void)?
    /// Called on librdkafka's background thread when an OAUTHBEARER token is due (see `OAuthBearerRefresh`).
    var tokenProvider: KafkaOAuthBearerTokenProvider?
    /// Set by the producer; called from `rd_kafka_poll`/`flush` on the polling thread.
    var deliveryHandler: ((KafkaDeliveryReport) -> Void)?
    /// Topic names of delivery reports (polling thread only).
    var deliveryTopics = TopicNames()
    /// Set by a group-mode reader; called from the rebalance callback on the polling thread.
    var startOffset: ((TopicPartition) -> KafkaOffset)?
    /// Group mode: called on the polling thread before revoked partitions are given up.
    var beforeRevoke: (([TopicPartition]) -> Void)?

    init(logHandler: (@Sendable (KafkaLogMessage) -> Void)?) {
        self.logHandler = logHandler
    }

    struct RebalanceEvent {
        let assigned: Bool
        let partitions: [TopicPartition]
    }

    func record(_ error: KafkaError) {
        lock.withLock {
            lastClientError = error
            if errors.count < 1000 { errors.append(error) }
        }
    }

    /// The most recent error the client reported through `error_cb`.
    var lastError: KafkaError? { lock.withLock { lastClientError } }

    /// Errors reported since the last call, oldest first.
    func takeErrors() -> [KafkaError] {
        lock.withLock {
            defer { errors.removeAll() }
            return errors
        }
    }

    func record(_ event: RebalanceEvent) { lock.withLock { rebalances.append(event) } }

    func takeRebalances() -> [RebalanceEvent] {
        lock.withLock {
            defer { rebalances.removeAll() }
            return rebalances
        }
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> ClientState? {
        opaque.map { Unmanaged<ClientState>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// The C callbacks; none captures anything, all find their `ClientState` through the opaque pointer.
enum ClientCallbacks {
    static let error: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, opaque in
        guard let state = ClientState.from(opaque) else { return }
        var errorCode = KafkaError.Code(rawValue: code)
        var detail = reason.map { String(cString: $0) } ?? errorCode.message
        var fatal = false
        if errorCode == .fatal, let handle {
            // The real cause of a fatal error is only available from rd_kafka_fatal_error.
            var buffer = [CChar](repeating: 0, count: 512)
            errorCode = KafkaError.Code(rd_kafka_fatal_error(handle, &buffer, buffer.count))
            detail = String(nulTerminated: buffer)
            fatal = true
        }
        state.record(KafkaError(code: errorCode, operation: "Kafka client", detail: detail, isFatal: fatal))
    }

    static let log: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
        handle, level, facility, message in
        guard let handle, let state = ClientState.from(rd_kafka_opaque(handle)), let logHandler = state.logHandler
        else { return }
        logHandler(
            KafkaLogMessage(
                level: level, facility: facility.map { String(cString: $0) } ?? "",
                message: message.map { String(cString: $0) } ?? ""))
    }
}
