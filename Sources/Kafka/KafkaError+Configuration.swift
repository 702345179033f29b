import CRdKafka
import Foundation
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
        if isOutOfOpenFiles { return true }
        return [.authentication, .saslAuthenticationFailed, .ssl].contains(code)
            || [
                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
                RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED
            ].map(Code.init).contains(code)
    }
}

extension KafkaError: ConfigurationReportingError {}

extension KafkaError {
    /// librdkafka could not make a socket: the process holds all the descriptors its limit allows.
    public var isOutOfOpenFiles: Bool { Self.isOutOfOpenFiles(detail) }

    /// Whether librdkafka's words name EMFILE; not ENFILE ("Too many open files in system": the
    /// system's table, full for a while, not this process's limit).
    static func isOutOfOpenFiles(_ detail: String) -> Bool {
        detail.contains(tooManyOpenFiles) && !detail.contains(tooManyOpenFilesInSystem)
    }

    private static let tooManyOpenFiles = String(cString: strerror(EMFILE))
    private static let tooManyOpenFilesInSystem = String(cString: strerror(ENFILE))
}

extension KafkaError {
    /// True for a record failed only because another failure stopped the producer (a refusal that
    /// `enable.gapless.guarantee` made fatal): purged from its queue, or refused as fatal. The
    /// failure that caused it is the one to report.
    public var isConsequenceOfAnotherFailure: Bool {
        [
            RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__FATAL,
            RD_KAFKA_RESP_ERR__GAPLESS_GUARANTEE
        ].map(Code.init).contains(code)
    }
}

extension KafkaError {
    /// The operation of the error thrown when librdkafka refuses to make a client.
    static let createClient = "create Kafka client"
}
