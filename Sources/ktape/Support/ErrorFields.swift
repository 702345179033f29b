import Failures
import Kafka
import ObjectStore

/// The log fields of an error: the S3 or Kafka error code and the object key, topic and partition
/// it names, looking through the engines' errors to the store or Kafka error behind them.
enum ErrorFields {
    static func of(_ error: Error?) -> LogFields {
        switch error {
        case let error as StoreError:
            return LogFields().with("error_code", error.code ?? "\(error.kind)").with("key", error.key).with("status", error.status)
        case let error as KafkaError:
            return LogFields().with("error_code", error.name).with("topic", error.topic).with("partition", error.partition)
        case let error as RunFailure:
            let cause = of(error.cause)
            guard !cause.has("topic") else { return cause }
            return cause.with("topic", error.topic).with("partition", error.partition)
        default:
            return LogFields()
        }
    }
}
