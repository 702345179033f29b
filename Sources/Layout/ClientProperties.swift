/// Names of librdkafka (`-X`) properties whose values are secrets: masked in printed config and
/// dumps, never in errors. One list for the whole tool.
public enum ClientProperty {
    public static func isSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["password", "secret", "sasl.oauthbearer.config", "ssl.key"].contains { lower.contains($0) }
    }
}
