import Kafka
import Layout
import ObjectStore
import JobSpec

/// What `-v` adds: a debug line per S3 request attempt, and librdkafka's own log lines (its debug
/// contexts, which `-v` switches on unless `-X debug=…` names them). Secrets stay masked: S3 lines
/// carry no header or query, and librdkafka lines have every secret `-X` value replaced.
enum VerboseLogs {
    /// librdkafka's debug contexts for `-v`: connections, metadata, groups and admin calls, not every message.
    static let kafkaDebugContexts = "broker,topic,metadata,cgrp,admin"

    static func s3Requests(_ console: Console) -> S3RequestLog? {
        guard console.verbose else { return nil }
        return { record in
            let status = record.status.map { "HTTP \($0)" } ?? "no answer"
            let code = record.errorCode.map { " (\($0))" } ?? ""
            console.debug(
                "s3 \(record.method) \(record.key ?? "/") \(record.operation): \(status)\(code), attempt \(record.attempt), \(record.milliseconds) ms",
                LogFields().with("method", record.method).with("key", record.key).with("status", record.status)
                    .with("error_code", record.errorCode).with("attempt", record.attempt).with("duration_ms", record.milliseconds))
        }
    }

    /// Routes librdkafka's log callback to the console when `-v` or `-X debug=…` asks for it;
    /// otherwise its lines are dropped (failures still surface as errors, without a retry stream).
    static func kafka(_ config: inout KafkaConfig, properties: [String: String], console: Console) throws {
        let debugGiven = properties["debug"].map { !$0.isEmpty } ?? false
        guard console.verbose || debugGiven else { return }
        if !debugGiven { try config.set("debug", kafkaDebugContexts) }
        let secrets = properties.filter { JobKey.isSecretProperty($0.key) && !$0.value.isEmpty }.map(\.value)
        config.logHandler = { line in
            var text = "\(line.facility): \(line.message)"
            for secret in secrets { text = text.replacingOccurrences(of: secret, with: "***") }
            let level: Console.Level = line.level <= 3 ? .error : line.level == 4 ? .warning : line.level == 7 ? .debug : .info
            // librdkafka's errors also reach ktape as errors; here they are context, so never the final error line.
            console.log(
                level == .error ? .warning : level, "kafka \(text)",
                LogFields().with("source", "librdkafka").with("facility", line.facility).with("syslog_level", line.level))
        }
    }
}
