import CRdKafka

/// Facts about the librdkafka that is loaded at run time (which may be newer than the headers built against).
public enum KafkaLibrary {
    /// The loaded librdkafka's version string, e.g. `2.0.2`.
    public static var version: String { String(cString: rd_kafka_version_str()) }

    /// The loaded librdkafka's version as `0xMMmmrrxx` (major, minor, revision, pre-release).
    public static var versionNumber: Int32 { rd_kafka_version() }

    /// True when the loaded librdkafka is at least `major.minor`.
    public static func isAtLeast(major: Int32, minor: Int32) -> Bool {
        versionNumber >= (major << 24) | (minor << 16)
    }
}
