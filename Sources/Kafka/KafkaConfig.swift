import Layout

/// Connection settings for any Kafka client of this module: the bootstrap list and any librdkafka property.
///
/// Properties are routed as kcat's `-X` does: a name starting with `topic.` that is not itself a global
/// property (like `topic.metadata.refresh.interval.ms`) goes, without the prefix, to the default topic
/// configuration; everything else to the global one. Each client adds its own defaults (for example the
/// producer's `enable.idempotence=true`) before these properties, so a property set here always wins.
public struct KafkaConfig: Sendable {
    /// The `bootstrap.servers` list, e.g. `broker1:9092,broker2:9092`.
    public var bootstrapServers: String
    /// librdkafka properties in the order given; a later one overrides an earlier one of the same name.
    public private(set) var properties: [(key: String, value: String)]
    /// Receives librdkafka's log lines. Called on librdkafka's own threads. When nil, logs are dropped:
    /// connection problems still surface as errors, without a stream of retry lines on stderr.
    public var logHandler: (@Sendable (KafkaLogMessage) -> Void)?
    /// Supplies SASL/OAUTHBEARER tokens (Amazon MSK IAM) through librdkafka's token-refresh callback;
    /// used when `sasl.mechanism` is `OAUTHBEARER`. See ``KafkaOAuthBearerTokenProvider``.
    public var oauthBearerTokenProvider: KafkaOAuthBearerTokenProvider?

    /// A configuration with the given bootstrap list and no other properties.
    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
        self.properties = []
    }

    /// Sets one librdkafka property, checking it at once; an unknown name or invalid value throws a
    /// ``KafkaError`` of kind `.invalidConfiguration` naming the property, with librdkafka's reason.
    public mutating func set(_ key: String, _ value: String) throws {
        try NativeConf.validate(key: key, value: value)
        properties.append((key, value))
    }

    /// Sets a property given kcat-style as `key=value` (the value may itself contain `=`).
    public mutating func set(assignment: String) throws {
        guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
            throw KafkaError(
                .invalidConfiguration(property: assignment), code: .invalidArgument,
                operation: "configure", detail: "expected key=value")
        }
        try set(String(assignment[..<equals]), String(assignment[assignment.index(after: equals)...]))
    }

    /// The last value set for `key`, if any.
    public func value(of key: String) -> String? {
        properties.last(where: { $0.key == key })?.value
    }

    /// The effective configuration librdkafka would use (its defaults, this module's client defaults
    /// and the properties set here), sorted by name; topic properties carry a `topic.` prefix.
    /// With `masked`, values of secrets (`*password*`, `*secret*`, `sasl.oauthbearer.config`,
    /// `ssl.key.*`) read `******`.
    public func dump(masked: Bool = true, clientDefaults: [(String, String)] = []) throws -> [(key: String, value: String)] {
        let entries = try NativeConf.dump(self, defaults: clientDefaults)
        return entries.map { entry in
            (entry.key, masked && Self.isSecret(entry.key) && !entry.value.isEmpty ? "******" : entry.value)
        }
    }

    /// True for property names whose values must never be printed.
    public static func isSecret(_ key: String) -> Bool {
        // One list of secret properties for the whole tool (printed job config and Kafka dumps alike).
        ClientProperty.isSecret(key)
    }
}

/// One log line from librdkafka.
public struct KafkaLogMessage: Sendable {
    /// syslog level: 0 emergency … 3 error, 4 warning, 6 info, 7 debug.
    public let level: Int32
    /// librdkafka's facility tag, e.g. `FAIL`, `BRKMAIN`.
    public let facility: String
    /// The text (it may name the client and broker).
    public let message: String
}
