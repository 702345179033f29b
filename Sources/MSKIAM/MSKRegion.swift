import Foundation
import ObjectStore

/// The region an MSK IAM token is signed for.
public enum MSKRegion {
    /// `--region`, else the region in the broker host names (`b-1.c.abc123.c2.kafka.us-east-1.amazonaws.com`,
    /// `boot-x.c1.kafka-serverless.eu-west-1.amazonaws.com`), else `AWS_REGION`, `AWS_DEFAULT_REGION` or
    /// the profile's `region`. No default: a token for the wrong region is refused by every broker,
    /// so a missing region is an error that says how to set it.
    public static func resolve(
        flag: String?, bootstrapServers: String, environment: [String: String],
        profile: String? = nil
    ) throws -> ResolvedRegion {
        if let flag, !flag.isEmpty { return ResolvedRegion(region: flag, source: "--region") }
        let found = Set(hosts(in: bootstrapServers).compactMap(region(ofHost:)))
        if found.count > 1 {
            throw MSKIAMError(
                "the bootstrap servers name brokers in several regions (\(found.sorted().joined(separator: ", "))); pass --region")
        }
        if let region = found.first { return ResolvedRegion(region: region, source: "the broker host names") }
        do {
            return try AWSRegion.resolve(flag: nil, environment: environment, defaultRegion: nil, profile: profile)
        } catch let error as CredentialsError {
            if case .noRegion(let tried) = error {
                throw MSKIAMError(
                    "msk-iam needs the cluster's AWS region; tried: --region, the broker host names (no "
                        + "*.kafka.<region>.amazonaws.com), " + tried.dropFirst().joined(separator: ", ") + " (pass --region)")
            }
            throw error
        }
    }

    /// `eu-west-1` from `b-1.x.c2.kafka.eu-west-1.amazonaws.com`; nil for any other name.
    public static func region(ofHost host: String) -> String? {
        let labels = host.lowercased().split(separator: ".").map(String.init)
        guard let service = labels.lastIndex(where: { $0 == "kafka" || $0 == "kafka-serverless" }),
            service + 3 <= labels.count, labels[service + 2] == "amazonaws",
            Array(labels[(service + 3)...]) == ["com"] || Array(labels[(service + 3)...]) == ["com", "cn"]
        else { return nil }
        let region = labels[service + 1]
        let valid =
            !region.isEmpty && region.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        return valid ? region : nil
    }

    /// Host names of a `host:port,host:port` list (IPv6 literals in brackets are left out).
    static func hosts(in bootstrapServers: String) -> [String] {
        bootstrapServers.split(separator: ",").compactMap { entry in
            var text = entry.trimmingCharacters(in: .whitespaces)
            if let scheme = text.range(of: "://") { text = String(text[scheme.upperBound...]) }
            if text.hasPrefix("[") { return nil }
            return text.split(separator: ":").first.map(String.init)
        }
    }
}

/// Why `--msk-iam` cannot work: one line naming what to set, never a secret.
public struct MSKIAMError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
