import Foundation
import Kafka
import KtapeTestSupport
import MSKIAM
import ObjectStore
import SigV4
import Testing

/// librdkafka sending ktape's MSK IAM tokens in the SASL exchange, against scripts/fake-msk-broker,
/// which checks each token as MSK would (signature by AWS's reference signer, region, expiry).
/// librdkafka's mock cluster (2.0.2 and 2.16) has no SASL at all, and tansu 0.6's `--authentication`
/// offers only SCRAM, so neither can take an OAUTHBEARER token.
@Suite(.serialized) struct MSKIAMConnectionTests {
    static let credentials = Credentials(accessKeyId: "AKIAFAKEMSK0001", secretAccessKey: "fake-msk-secret")

    static func config(
        _ broker: FakeMSKBroker, clientID: String, credentials: any CredentialsProvider = StaticCredentialsProvider(credentials),
        region: String = "us-east-1", extra: [(String, String)] = []
    ) throws -> KafkaConfig {
        var config = KafkaConfig(bootstrapServers: broker.bootstrap)
        for (key, value) in extra { try config.set(key, value) }
        if let ca = broker.caFile { try config.set("ssl.ca.location", ca) }
        try config.set("client.id", clientID)
        let iam = MSKIAMAuthentication(region: ResolvedRegion(region: region, source: "test"), credentials: credentials)
        return try iam.configure(config)
    }

    @Test func everyKindOfClientAuthenticatesOverSASLSSL() async throws {
        let broker = try FakeMSKBroker(secrets: ["AKIAFAKEMSK": "fake-msk-secret"], topics: ["orders:3"])
        // Generous limits: the whole suite shares two cores with this TLS broker.
        let admin = try KafkaAdmin(config: Self.config(broker, clientID: "msk-admin"))
        try await offPool { try admin.checkConnection(timeoutMilliseconds: SanitizerTiming.milliseconds(60_000)) }
        #expect(
            try await offPool { try admin.topic("orders", timeoutMilliseconds: SanitizerTiming.milliseconds(30_000))?.partitions.count }
                == 3)
        let reader = try KafkaPartitionReader(config: Self.config(broker, clientID: "msk-reader"))
        try await offPool { try reader.checkConnection(timeoutMilliseconds: SanitizerTiming.milliseconds(60_000)) }
        // Closed without ever joining (the fake broker has no group coordinator): no rebalance protocol yet.
        let member = try KafkaPartitionReader(config: Self.config(broker, clientID: "msk-group-member"), groupID: "msk-backup")
        try await offPool { try member.checkConnection(timeoutMilliseconds: SanitizerTiming.milliseconds(60_000)) }
        let producer = try KafkaProducer(config: Self.config(broker, clientID: "msk-producer"), onDelivery: { _ in })
        try await offPool { try producer.checkConnection(timeoutMilliseconds: SanitizerTiming.milliseconds(60_000)) }

        let authentications = try broker.authentications()
        #expect(authentications.allSatisfy { $0.accepted == true }, "\(authentications.compactMap(\.reason))")
        #expect(Set(authentications.compactMap(\.clientId)).isSuperset(of: ["msk-admin", "msk-reader", "msk-group-member", "msk-producer"]))
        #expect(authentications.allSatisfy { $0.accessKeyId == "AKIAFAKEMSK0001" && $0.userAgent == MSKAuthToken.defaultUserAgent })
        // The properties --msk-iam implies, visible in the effective configuration; the token never is.
        let dump = try Self.config(broker, clientID: "dump").dump()
        #expect(dump.contains { $0.key == "security.protocol" && $0.value == "sasl_ssl" })
        #expect(dump.contains { $0.key == "sasl.mechanisms" && $0.value == "OAUTHBEARER" })
        let token = try #require(authentications.first?.token)
        #expect(!dump.contains { $0.value.contains(token) })
    }

    @Test func userPropertiesOverrideTheIAMDefaults() async throws {
        let broker = try FakeMSKBroker(secrets: ["AKIAFAKEMSK": "fake-msk-secret"], tls: false)
        var config = KafkaConfig(bootstrapServers: broker.bootstrap)
        try config.set("security.protocol", "SASL_PLAINTEXT")
        let iam = MSKIAMAuthentication(
            region: ResolvedRegion(region: "us-east-1", source: "test"),
            credentials: StaticCredentialsProvider(Self.credentials))
        let admin = try KafkaAdmin(config: iam.configure(config))
        try await offPool { try admin.checkConnection(timeoutMilliseconds: 60_000) }
        // librdkafka 2.16 opens a second connection to the broker by its id once metadata names it.
        let authentications = try broker.authentications()
        #expect(!authentications.isEmpty && authentications.allSatisfy { $0.accepted == true })
    }

    @Test func refusedTokenAndMissingCredentialsFailFastWithOneLine() async throws {
        let rejecting = try FakeMSKBroker(secrets: ["AKIAFAKEMSK": "fake-msk-secret"], reject: true)
        let started = Date()
        let refusing = try KafkaAdmin(config: Self.config(rejecting, clientID: "refused"))
        let refused = try await connectionError { try refusing.checkConnection(timeoutMilliseconds: 20_000) }
        #expect("\(refused)".contains("[fake MSK] refused by --reject"), "\(refused)")
        #expect(Date().timeIntervalSince(started) < 15)

        let broker = try FakeMSKBroker(secrets: ["AKIAFAKEMSK": "fake-msk-secret"])
        let withoutCredentials = try KafkaAdmin(config: Self.config(broker, clientID: "no-credentials", credentials: FailingCredentials()))
        let noCredentials = try await connectionError { try withoutCredentials.checkConnection(timeoutMilliseconds: 20_000) }
        #expect(
            "\(noCredentials)".contains("MSK IAM token for us-east-1: no AWS credentials: no AWS credentials found"), "\(noCredentials)")
        #expect(try broker.authentications().isEmpty)

        // A token for another region is refused by the broker, naming why.
        let otherRegion = try KafkaAdmin(config: Self.config(broker, clientID: "wrong-region", region: "eu-west-1"))
        let wrongRegion = try await connectionError { try otherRegion.checkConnection(timeoutMilliseconds: 20_000) }
        #expect("\(wrongRegion)".contains("not https://kafka.us-east-1.amazonaws.com/"), "\(wrongRegion)")
    }

    /// Short-lived credentials (20 s, refreshed by the cache in their last 8 s): the token's lifetime is
    /// capped at theirs, librdkafka asks for a new one at 80 % of it (its refresh timer ticks once a
    /// second), and the broker (closing connections every 0.5 s) sees the new token, signed with new
    /// credentials, before the first ones expire. No token is ever refused as expired.
    @Test func tokenIsRefreshedBeforeTheCredentialsExpire() async throws {
        let broker = try FakeMSKBroker(secrets: ["AKIASHORTLIVED": "short-secret"], closeAfterMilliseconds: 500)
        let shortLived = ShortLivedCredentials(lifetime: 20)
        // librdkafka backs off up to 10 s between reconnects to a broker that keeps closing; keep it short here.
        let admin = try KafkaAdmin(
            config: Self.config(
                broker, clientID: "refreshing",
                credentials: CachingCredentialsProvider(shortLived, refreshMargin: 8),
                extra: [("reconnect.backoff.max.ms", "200")]))
        // Until the broker has seen a second key (the check below holds it to the first key's expiry),
        // for at most 30 s: a loaded machine must not end the wait before librdkafka's refresh.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            // A request can meet a connection the broker is closing; only the authentications count here.
            _ = try? await KafkaBlocking.run { try admin.metadata(timeoutMilliseconds: 5000) }
            if Set(try broker.authentications().compactMap(\.accessKeyId)).count >= 2 { break }
            try await Task.sleep(nanoseconds: 400_000_000)
        }
        let authentications = try broker.authentications()
        #expect(authentications.allSatisfy { $0.accepted == true }, "\(authentications.compactMap(\.reason))")
        let keys = authentications.compactMap(\.accessKeyId)
        let distinct = keys.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        #expect(distinct.count >= 2, "keys seen: \(distinct)")
        #expect(authentications.count >= 5)
        for (previous, next) in zip(distinct, distinct.dropFirst()) {
            let expiry = try #require(shortLived.expiration(of: previous))
            let firstUse = try #require(authentications.first { $0.accessKeyId == next }?.time)
            #expect(
                firstUse < expiry.timeIntervalSince1970,
                "\(next) first used \(firstUse - expiry.timeIntervalSince1970) s after \(previous) expired")
        }
    }
}

/// Runs a blocking Kafka call off the cooperative pool: the OAUTHBEARER refresh it may wait for fetches
/// credentials on that pool, which a test blocking one of its (two) threads would starve.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await KafkaBlocking.run(body)
}

/// The KafkaError a blocking connection check ends with, run off the cooperative pool.
func connectionError(_ body: @escaping @Sendable () throws -> Void) async throws -> KafkaError {
    do {
        try await offPool(body)
    } catch let error as KafkaError {
        return error
    }
    throw TestSetupError("the connection check succeeded")
}

/// Hands out new keys (AKIASHORTLIVED0001, 0002, ...) that expire `lifetime` seconds after they are made.
// @unchecked Sendable: its mutable state is under `lock`.
final class ShortLivedCredentials: CredentialsProvider, @unchecked Sendable {
    let lifetime: TimeInterval
    private let lock = NSLock()
    private var issued: [String: Date] = [:]

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func credentials() async throws -> Credentials {
        lock.withLock {
            let key = String(format: "AKIASHORTLIVED%04d", issued.count + 1)
            let expiration = Date().addingTimeInterval(lifetime)
            issued[key] = expiration
            return Credentials(accessKeyId: key, secretAccessKey: "short-secret", expiration: expiration)
        }
    }

    func expiration(of key: String) -> Date? { lock.withLock { issued[key] } }
}

struct FailingCredentials: CredentialsProvider {
    func credentials() async throws -> Credentials { throw CredentialsError.notFound(tried: ["test (nothing configured)"]) }
}
