import Failures
import Foundation
import BuildInfo
import Kafka
import Layout
import MSKIAM
import ObjectStore
import JobSpec

/// The Kafka client configuration a job names: bootstrap list plus `-X` properties, each checked
/// by librdkafka at once so a bad one is invalid input (exit 2) naming the property; with
/// `msk-iam`, SASL_SSL + OAUTHBEARER under them and MSK IAM tokens from the AWS chain.
enum KafkaSettings {
    static func config(_ common: CommonSettings, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KafkaConfig
    {
        guard let bootstrap = common.bootstrapServers?.value, !bootstrap.isEmpty else {
            throw RunFailure.invalidInput("bootstrap-servers is required (-b host:port)")
        }
        var config = KafkaConfig(bootstrapServers: bootstrap)
        for (key, value) in common.kafkaProperties.value.sorted(by: { $0.key < $1.key }) {
            do { try config.set(key, value) } catch {
                throw RunFailure.invalidInput("-X \(key): \(error)")
            }
        }
        try VerboseLogs.kafka(&config, properties: common.kafkaProperties.value, console: Console.standard)
        guard common.mskIAM.value else { return config }
        do {
            return try mskIAM(common, bootstrap: bootstrap, environment: environment).configure(config)
        } catch let error as MSKIAMError {
            throw RunFailure.invalidInput(error.description)
        } catch {
            throw RunFailure.invalidInput("msk-iam: \(error)")
        }
    }

    /// The region and credentials MSK IAM tokens are signed with.
    static func mskIAM(_ common: CommonSettings, bootstrap: String, environment: [String: String]) throws -> MSKIAMAuthentication {
        let profile = common.profile?.value
        let region = try MSKRegion.resolve(
            flag: common.region?.value, bootstrapServers: bootstrap, environment: environment, profile: profile)
        let credentials = try CredentialsChain.defaultProvider(
            environment: environment, region: region.region,
            transport: CurlTransport(settings: .init(connections: 2)), profile: profile)
        return MSKIAMAuthentication(region: region, credentials: credentials, userAgent: "ktape/\(BuildInfo.version)")
    }

    /// For `--print-config`: what `msk-iam` makes of the Kafka connection, as comment lines; never a token.
    static func describeMSKIAM(_ common: CommonSettings, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard common.mskIAM.value, let bootstrap = common.bootstrapServers?.value else { return "" }
        let region: String
        do {
            let resolved = try MSKRegion.resolve(
                flag: common.region?.value, bootstrapServers: bootstrap, environment: environment,
                profile: common.profile?.value)
            region = "\(resolved.region) (from \(resolved.source))"
        } catch {
            region = "unknown: \(error)"
        }
        let overridden = MSKIAMAuthentication.kafkaProperties.filter { common.kafkaProperties.value[$0.0] != nil }.map(\.0)
        return "# msk-iam: Kafka over " + MSKIAMAuthentication.kafkaProperties.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            + (overridden.isEmpty ? "" : " (-X overrides \(overridden.joined(separator: ", ")))") + "\n"
            + "# msk-iam: OAUTHBEARER tokens are AWS MSK IAM tokens for region \(region), signed with the AWS credential chain"
            + (common.profile.map { " (profile '\($0.value)')" } ?? "") + "; tokens are never printed\n"
    }
}
