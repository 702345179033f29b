import CRdKafka
import Failures

extension KafkaError {
    /// True for what a rerun cannot cure because the job or the cluster's ACLs must change: a rejected
    /// property, failed authentication or TLS handshake, a refused authorization. A scheduler should
    /// not retry these (exit 2).
    public var isConfigurationError: Bool {
        if case .invalidConfiguration = kind { return true }
        // rd_kafka_new fails only on the settings it was given (an unreadable ssl.ca.location, an
        // ssl.key.pem that does not parse), before any connection: the same settings fail again.
        if operation == Self.createClient && code == .invalidArgument { return true }
        if case .unreachable = kind, !isRetriable { return true }
        return [.authentication, .saslAuthenticationFailed, .ssl].contains(code)
            || [
                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
                RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED
            ].map(Code.init).contains(code)
    }
}

extension KafkaError: ConfigurationReportingError {}

extension KafkaError {
    /// The operation of the error thrown when librdkafka refuses to make a client.
    static let createClient = "create Kafka client"
}
