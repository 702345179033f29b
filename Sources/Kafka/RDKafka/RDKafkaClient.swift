import CRdKafka
import Foundation

/// Owns one `rd_kafka_t` (destroyed in deinit) and the `ClientState` its callbacks reach.
/// Every method may block up to its timeout; none is meant for Swift's cooperative pool.
// @unchecked Sendable: its fields never change and librdkafka's rd_kafka_t is thread-safe.
final class RDKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    let state: ClientState
    let bootstrap: String

    /// - Parameter configure: sets callbacks on the global conf before the client is made.
    init(
        type: rd_kafka_type_t, config: KafkaConfig, defaults: [(String, String)],
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws {
        let pair = try NativeConf.make(config, defaults: defaults)
        let state = ClientState(logHandler: config.logHandler)
        let conf = pair.attachTopicConf()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(state).toOpaque())
        rd_kafka_conf_set_error_cb(conf, ClientCallbacks.error)
        rd_kafka_conf_set_log_cb(conf, ClientCallbacks.log)
        state.tokenProvider = config.oauthBearerTokenProvider
        OAuthBearerRefresh.install(on: conf, state: state)
        configure(conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)  // rd_kafka_new frees the conf only on success
            throw KafkaError(
                code: .invalidArgument, operation: KafkaError.createClient, detail: String(nulTerminated: errstr))
        }
        OAuthBearerRefresh.start(handle, state: state)
        self.handle = handle
        self.state = state
        self.bootstrap = config.bootstrapServers
    }

    deinit {
        // `state` outlives this call: stored properties are released after deinit's body.
        rd_kafka_destroy(handle)
    }

    /// Serves queued callbacks (errors, delivery reports) on this thread.
    @discardableResult
    func poll(timeoutMilliseconds: Int32) -> Int32 {
        rd_kafka_poll(handle, timeoutMilliseconds)
    }

    /// Asks the cluster for metadata until it answers or `timeout` passes, then throws one error saying
    /// why it could not: the last transport/authentication error librdkafka reported, not a retry stream.
    /// `waited`: how long the caller already waited for an answer, for the message (a caller that
    /// timed out probes for the reason with a short timeout).
    func checkReachable(timeoutMilliseconds: Int32, waited: Int32? = nil) throws {
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
        var lastCode = KafkaError.Code.timedOut
        repeat {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let slice = Int32(max(100, min(500, deadline.timeIntervalSinceNow * 1000)))
            let err = rd_kafka_metadata(handle, 0, nil, &metadata, slice)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata {
                rd_kafka_metadata_destroy(metadata)
                return
            }
            lastCode = KafkaError.Code(err)
            poll(timeoutMilliseconds: 0)
            if let reported = state.lastError, Self.isConclusive(reported) {
                throw unreachable(reported.code, reported.detail)
            }
        } while Date() < deadline
        let reported = state.lastError
        throw unreachable(
            reported?.code ?? lastCode,
            (reported?.detail ?? lastCode.message) + " (no answer within \(waited ?? timeoutMilliseconds) ms)")
    }

    private func unreachable(_ code: KafkaError.Code, _ detail: String) -> KafkaError {
        KafkaError(
            .unreachable(bootstrap: bootstrap), code: code, operation: "connect", detail: detail,
            isRetriable: !Self.isConclusive(code: code, detail: detail))
    }

    /// Errors that another second of waiting will not cure.
    private static func isConclusive(_ error: KafkaError) -> Bool {
        isConclusive(code: error.code, detail: error.detail)
    }

    private static func isConclusive(code: KafkaError.Code, detail: String) -> Bool {
        // librdkafka reports a failed TLS handshake as _TRANSPORT ("SSL handshake failed: …", or
        // "Disconnected (… in state SSL_HANDSHAKE)"); only its text tells it apart.
        [.authentication, .saslAuthenticationFailed, .ssl, .fatal, .invalidArgument].contains(code)
            || (code == .transport && (detail.contains("SSL handshake failed") || detail.contains("state SSL_HANDSHAKE")))
            || KafkaError.isOutOfOpenFiles(detail)
    }
}
