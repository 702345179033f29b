import CRdKafka

/// Builds librdkafka configuration objects from a ``KafkaConfig``; every path either hands the conf to
/// its new owner or destroys it, so a rejected property never leaks one.
enum NativeConf {
    /// A global conf plus the default topic conf, both owned until `attachTopicConf` or `destroy`.
    struct Pair {
        let global: OpaquePointer
        let topic: OpaquePointer
        /// Whether any `topic.` property went to `topic`; if not, attaching it would discard topic
        /// properties set directly on the global conf (librdkafka forwards those to its own copy).
        var topicUsed = false

        /// Moves the topic conf into the global one (or frees it if unused); afterwards only `global` is owned.
        func attachTopicConf() -> OpaquePointer {
            if topicUsed {
                rd_kafka_conf_set_default_topic_conf(global, topic)
            } else {
                rd_kafka_topic_conf_destroy(topic)
            }
            return global
        }

        func destroy() {
            rd_kafka_topic_conf_destroy(topic)
            rd_kafka_conf_destroy(global)
        }
    }

    /// Makes a conf with `bootstrap.servers`, the client's defaults, then the user's properties.
    static func make(_ config: KafkaConfig, defaults: [(String, String)]) throws -> Pair {
        guard let global = rd_kafka_conf_new() else {
            throw KafkaError(code: .fatal, operation: "configure", detail: "rd_kafka_conf_new failed")
        }
        guard let topic = rd_kafka_topic_conf_new() else {
            rd_kafka_conf_destroy(global)
            throw KafkaError(code: .fatal, operation: "configure", detail: "rd_kafka_topic_conf_new failed")
        }
        var pair = Pair(global: global, topic: topic)
        do {
            if !config.bootstrapServers.isEmpty {
                try set(&pair, "bootstrap.servers", config.bootstrapServers)
            }
            for (key, value) in defaults { try set(&pair, key, value) }
            for (key, value) in config.properties { try set(&pair, key, value) }
        } catch {
            pair.destroy()
            throw error
        }
        return pair
    }

    /// Checks one property on a throwaway conf.
    static func validate(key: String, value: String) throws {
        var config = KafkaConfig(bootstrapServers: "")
        config.logHandler = nil
        let pair = try make(config, defaults: [(key, value)])
        pair.destroy()
    }

    /// The effective properties of both confs, sorted by name.
    static func dump(_ config: KafkaConfig, defaults: [(String, String)]) throws -> [(key: String, value: String)] {
        let pair = try make(config, defaults: defaults)
        defer { pair.destroy() }
        var entries = [(key: String, value: String)]()
        var count = 0
        if let dump = rd_kafka_conf_dump(pair.global, &count) {
            entries += pairs(dump, count: count, prefix: "")
            rd_kafka_conf_dump_free(dump, count)
        }
        // librdkafka itself routes `topic.x` and bare topic properties set on the global conf to its own
        // default topic conf; ours only holds what fell through.
        let topicConf = pair.topicUsed ? pair.topic : (rd_kafka_conf_get_default_topic_conf(pair.global) ?? pair.topic)
        if let dump = rd_kafka_topic_conf_dump(topicConf, &count) {
            entries += pairs(dump, count: count, prefix: "topic.")
            rd_kafka_conf_dump_free(dump, count)
        }
        return entries.sorted { $0.key < $1.key }
    }

    private static func pairs(_ dump: UnsafeMutablePointer<UnsafePointer<CChar>?>, count: Int, prefix: String)
        -> [(key: String, value: String)]
    {
        stride(from: 0, to: count - 1, by: 2).compactMap { index in
            guard let key = dump[index], let value = dump[index + 1] else { return nil }
            return (prefix + String(cString: key), String(cString: value))
        }
    }

    /// kcat's routing: `topic.x` goes to the topic conf as `x` unless `topic.x` is a global property.
    /// (librdkafka does the same inside `rd_kafka_conf_set`; the fallback covers versions that do not.)
    private static func set(_ pair: inout Pair, _ key: String, _ value: String) throws {
        var errstr = [CChar](repeating: 0, count: 512)
        var result = rd_kafka_conf_set(pair.global, key, value, &errstr, errstr.count)
        if result == RD_KAFKA_CONF_UNKNOWN, key.hasPrefix("topic.") {
            result = rd_kafka_topic_conf_set(pair.topic, String(key.dropFirst(6)), value, &errstr, errstr.count)
            pair.topicUsed = true
        }
        guard result == RD_KAFKA_CONF_OK else {
            let reason = String(nulTerminated: errstr).withoutLineEnd
            throw KafkaError(
                .invalidConfiguration(property: key), code: .invalidArgument, operation: "configure",
                detail: reason.isEmpty ? "rejected by librdkafka" : reason)
        }
    }
}
