import CRdKafka
import Failures

/// A failure reported by librdkafka or by this module, with one human line naming what is at fault.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is, beyond the raw librdkafka code.
    public enum Kind: Sendable, Equatable {
        /// An error code from librdkafka or a broker.
        case librdkafka
        /// A configuration property that librdkafka rejected.
        case invalidConfiguration(property: String)
        /// No broker of the bootstrap list could be reached, or it refused us, within the time allowed.
        case unreachable(bootstrap: String)
        /// The broker (or the librdkafka version) does not support the operation.
        case unsupported(operation: String)
        /// The caller passed something this module cannot use.
        case invalidArgument
    }

    /// A librdkafka `rd_kafka_resp_err_t` value. Open: unknown codes from newer versions are kept as is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The raw `rd_kafka_resp_err_t` value.
        public let rawValue: Int32
        /// Wraps a raw `rd_kafka_resp_err_t` value.
        public init(rawValue: Int32) { self.rawValue = rawValue }
        init(_ err: rd_kafka_resp_err_t) { self.rawValue = Int32(err.rawValue) }

        var native: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: .init(rawValue)) }
        /// The symbolic name librdkafka gives the code (`rd_kafka_err2name`), e.g. `_PARTITION_EOF`.
        public var name: String { String(cString: rd_kafka_err2name(native)) }
        /// librdkafka's human description of the code (`rd_kafka_err2str`).
        public var message: String { String(cString: rd_kafka_err2str(native)) }
        /// The symbolic name.
        public var description: String { name }

        /// No error.
        public static let noError = Code(RD_KAFKA_RESP_ERR_NO_ERROR)
        /// The reader reached the end of a partition (`_PARTITION_EOF`).
        public static let partitionEOF = Code(RD_KAFKA_RESP_ERR__PARTITION_EOF)
        /// librdkafka's local produce queue is full (`_QUEUE_FULL`).
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        /// An operation timed out (`_TIMED_OUT`).
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        /// A broker connection failed (`_TRANSPORT`).
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        /// No broker is up (`_ALL_BROKERS_DOWN`).
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        /// Authentication failed (`_AUTHENTICATION`).
        public static let authentication = Code(RD_KAFKA_RESP_ERR__AUTHENTICATION)
        /// A broker host name did not resolve (`_RESOLVE`).
        public static let resolve = Code(RD_KAFKA_RESP_ERR__RESOLVE)
        /// A TLS error (`_SSL`).
        public static let ssl = Code(RD_KAFKA_RESP_ERR__SSL)
        /// The client hit a fatal error and must be recreated (`_FATAL`).
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        /// An invalid argument or configuration (`_INVALID_ARG`).
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        /// The topic is unknown to the client (`_UNKNOWN_TOPIC`).
        public static let unknownTopic = Code(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        /// The partition is unknown to the client (`_UNKNOWN_PARTITION`).
        public static let unknownPartition = Code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        /// The broker knows no such topic or partition.
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        /// The broker lacks a needed API (`_UNSUPPORTED_FEATURE`).
        public static let unsupportedFeature = Code(RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE)
        /// The broker does not support the API version.
        public static let unsupportedVersion = Code(RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION)
        /// The offset is outside the partition's log.
        public static let offsetOutOfRange = Code(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
        /// A reader's offset was out of range and `auto.offset.reset` is `error` (`_AUTO_OFFSET_RESET`).
        public static let autoOffsetReset = Code(RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
        /// A record exceeds `message.max.bytes`.
        public static let messageTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        /// The broker refused a record it validates (a compacted topic refuses one without a key).
        public static let invalidRecord = Code(RD_KAFKA_RESP_ERR_INVALID_RECORD)
        /// The broker refused a record's timestamp (`message.timestamp.before.max.ms` and its kin).
        public static let invalidTimestamp = Code(RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP)
        /// CreateTopics: the topic exists.
        public static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        /// SASL authentication failed.
        public static let saslAuthenticationFailed = Code(RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED)
        /// An answer that does not say what it should (`_BAD_MSG`).
        public static let badMessage = Code(RD_KAFKA_RESP_ERR__BAD_MSG)
        /// A record was not delivered within `message.timeout.ms` (`_MSG_TIMED_OUT`).
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)

        /// Codes that a later attempt may cure, used when librdkafka gives no `rd_kafka_error_t` flags.
        var isTransient: Bool {
            [.timedOut, .transport, .allBrokersDown, .queueFull, .resolve, .messageTimedOut].contains(self)
                || [
                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                    RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                    RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
                    // Leaders moving (a rolling restart), as Kafka's own clients retry them.
                    RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH,
                    RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
                    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                ].map(Code.init).contains(self)
        }
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// The librdkafka code (`_INVALID_ARG` for this module's own argument errors).
    public let code: Code
    /// What went wrong, in words (librdkafka's message where it gave one).
    public let detail: String
    /// What was being done, e.g. `produce`, `create topic`; the first words of `description`.
    public let operation: String
    /// The topic at fault, where there is one.
    public var topic: String?
    /// The partition at fault, where there is one.
    public var partition: Int32?
    /// The offset at fault, where there is one.
    public var offset: Int64?
    /// True when the client instance can no longer be used (librdkafka fatal error).
    public let isFatal: Bool
    /// True when the same operation may succeed if tried again.
    public let isRetriable: Bool
    /// Where in this module the error was made (`#fileID:#line`), for bug reports.
    public let location: String

    /// The code's symbolic name (`rd_kafka_err2name`).
    public var name: String { code.name }

    /// A reader asked for offsets the partition's log no longer (or does not yet) hold: as the broker
    /// says it, or as librdkafka reports it when `auto.offset.reset` is `error`.
    public var isOffsetReset: Bool { code == .offsetOutOfRange || code == .autoOffsetReset }

    init(
        _ kind: Kind = .librdkafka, code: Code, operation: String, detail: String? = nil,
        topic: String? = nil, partition: Int32? = nil, offset: Int64? = nil,
        isFatal: Bool = false, isRetriable: Bool? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.kind = kind
        self.code = code
        self.operation = operation
        self.detail = detail ?? code.message
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.isFatal = isFatal || code == .fatal
        self.isRetriable = isRetriable ?? code.isTransient
        self.location = "\(file):\(line)"
    }

    /// Wraps an owned `rd_kafka_error_t`, destroying it.
    init(
        consuming error: OpaquePointer, operation: String, topic: String? = nil, partition: Int32? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: Code(rd_kafka_error_code(error)), operation: operation,
            detail: String(cString: rd_kafka_error_string(error)), topic: topic, partition: partition,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0, file: file, line: line)
    }

    /// One line: what was being done, where (topic, partition, offset), what went wrong, and the code's name.
    public var description: String {
        var place = ""
        if let topic { place += " topic \(topic)" }
        if let partition { place += " partition \(partition)" }
        if let offset { place += " offset \(offset)" }
        let prefix = place.isEmpty ? operation : "\(operation)\(place)"
        let advice = isOutOfOpenFiles ? "; \(OpenFiles.exhaustedAdvice)" : ""
        switch kind {
        case .invalidConfiguration(let property):
            return "invalid Kafka property \(property): \(detail)"
        case .unreachable(let bootstrap):
            return "cannot reach Kafka at \(bootstrap): \(detail) (\(name))\(advice)"
        case .unsupported(let api):
            return "\(prefix): the broker does not support \(api): \(detail) (\(name))"
        case .invalidArgument:
            return "\(prefix): \(detail)"
        case .librdkafka:
            return "\(prefix): \(detail) (\(name))\(advice)"
        }
    }
}

extension KafkaError {
    /// Throws when `err` is not `NO_ERROR`.
    static func check(
        _ err: rd_kafka_resp_err_t, _ operation: String, topic: String? = nil, partition: Int32? = nil,
        file: String = #fileID, line: Int = #line
    ) throws {
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        throw KafkaError(
            code: Code(err), operation: operation, topic: topic, partition: partition,
            file: file, line: line)
    }

    /// Throws (consuming it) when `error` is non-nil.
    static func check(
        _ error: OpaquePointer?, _ operation: String, topic: String? = nil,
        file: String = #fileID, line: Int = #line
    ) throws {
        guard let error else { return }
        throw KafkaError(consuming: error, operation: operation, topic: topic, file: file, line: line)
    }
}
