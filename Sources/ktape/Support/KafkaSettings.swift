import Kafka
import Layout

/// The Kafka client configuration a job names: bootstrap list plus `-X` properties, each checked
/// by librdkafka at once so a bad one is invalid input (exit 2) naming the property.
enum KafkaSettings {
    static func config(_ common: CommonSettings) throws -> KafkaConfig {
        guard let bootstrap = common.bootstrapServers?.value, !bootstrap.isEmpty else {
            throw CommandFailure.invalidInput("bootstrap-servers is required (-b host:port)")
        }
        if common.mskIAM.value {
            throw CommandFailure.invalidInput("msk-iam is not supported by this build; pass SASL settings with -X")
        }
        var config = KafkaConfig(bootstrapServers: bootstrap)
        for (key, value) in common.kafkaProperties.value.sorted(by: { $0.key < $1.key }) {
            do { try config.set(key, value) } catch {
                throw CommandFailure.invalidInput("-X \(key): \(error)")
            }
        }
        try VerboseLogs.kafka(&config, properties: common.kafkaProperties.value, console: Console.standard)
        return config
    }
}
