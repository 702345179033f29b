import CRdKafka
import Foundation

/// Wires a ``KafkaOAuthBearerTokenProvider`` into librdkafka's OAUTHBEARER token-refresh callback.
///
/// The refresh events go to the SASL queue, which is forwarded to librdkafka's background thread
/// (`rd_kafka_sasl_background_callbacks_enable`, librdkafka ≥ 1.9): otherwise the first token would
/// only be fetched inside `rd_kafka_poll`, and a client blocked in a metadata or offsets call before
/// its first poll could never connect.
enum OAuthBearerRefresh {
    /// Before `rd_kafka_new`: routes refresh events to their own queue and sets the callback.
    static func install(on conf: OpaquePointer, state: ClientState) {
        guard state.tokenProvider != nil else { return }
        rd_kafka_conf_enable_sasl_queue(conf, 1)
        rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, callback)
    }

    /// After `rd_kafka_new`: serves the SASL queue on the background thread. Fails only when no
    /// OAUTHBEARER mechanism is configured (a `-X sasl.mechanism` override), when there is nothing to serve.
    static func start(_ handle: OpaquePointer, state: ClientState) {
        guard state.tokenProvider != nil, let error = rd_kafka_sasl_background_callbacks_enable(handle) else { return }
        rd_kafka_error_destroy(error)
    }

    static let callback: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, _, opaque in
        guard let handle, let state = ClientState.from(opaque), let provider = state.tokenProvider else { return }
        let token: KafkaOAuthBearerToken
        do {
            token = try provider()
        } catch {
            rd_kafka_oauthbearer_set_token_failure(handle, "\(error)")
            return
        }
        var errstr = [CChar](repeating: 0, count: 512)
        let lifetime = Int64((token.expiration.timeIntervalSince1970 * 1000).rounded(.down))
        let err = rd_kafka_oauthbearer_set_token(handle, token.value, lifetime, token.principal, nil, 0, &errstr, errstr.count)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_oauthbearer_set_token_failure(handle, "the token was refused: \(String(nulTerminated: errstr))")
        }
    }
}
