import Foundation
import ObjectStore
import SigV4
import Testing

/// Hands out numbered credentials that expire an hour after the clock's now, counting fetches.
// @unchecked Sendable: its mutable state is under `lock`.
private final class NumberedProvider: CredentialsProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var failing = false
    private let clock: CredentialTestClock
    private let delay: UInt64

    init(clock: CredentialTestClock, delayNanoseconds: UInt64 = 0) {
        self.clock = clock
        self.delay = delayNanoseconds
    }

    var fetches: Int { lock.withLock { count } }
    func fail(_ on: Bool) { lock.withLock { failing = on } }

    func credentials() async throws -> Credentials {
        if delay > 0 { try await Task.sleep(nanoseconds: delay) }
        let (number, fail) = lock.withLock { () -> (Int, Bool) in
            count += 1
            return (count, failing)
        }
        if fail { throw CredentialsError.notFound(tried: ["numbered (failing on purpose)"]) }
        return Credentials(
            accessKeyId: "ASIA\(number)", secretAccessKey: "s", sessionToken: "t",
            expiration: clock.now.addingTimeInterval(3600))
    }
}

@Suite struct CredentialCachingTests {
    @Test func refreshesFiveMinutesBeforeExpiration() async throws {
        let clock = CredentialTestClock()
        let base = NumberedProvider(clock: clock)
        let cache = CachingCredentialsProvider(base, clock: clock.clock)
        #expect(try await cache.credentials().accessKeyId == "ASIA1")
        clock.advance(3600 - 301)
        #expect(try await cache.credentials().accessKeyId == "ASIA1")
        #expect(base.fetches == 1)
        clock.advance(2)
        #expect(try await cache.credentials().accessKeyId == "ASIA2")
        #expect(base.fetches == 2)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = CredentialTestClock()
        let base = NumberedProvider(clock: clock, delayNanoseconds: 50_000_000)
        let cache = CachingCredentialsProvider(base, clock: clock.clock)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try await cache.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids == ["ASIA1"])
        #expect(base.fetches == 1)
    }

    @Test func failedRefreshKeepsUnexpiredCredentialsThenFails() async throws {
        let clock = CredentialTestClock()
        let base = NumberedProvider(clock: clock)
        let cache = CachingCredentialsProvider(base, clock: clock.clock)
        _ = try await cache.credentials()
        base.fail(true)
        clock.advance(3600 - 60)
        #expect(try await cache.credentials().accessKeyId == "ASIA1", "still valid for a minute")
        clock.advance(120)
        await #expect(throws: CredentialsError.self) { try await cache.credentials() }
        base.fail(false)
        #expect(try await cache.credentials().accessKeyId == "ASIA4")
    }

    @Test func longTermKeysAreFetchedOnce() async throws {
        // @unchecked Sendable: its mutable state is under `lock`.
        final class Counter: CredentialsProvider, @unchecked Sendable {
            let lock = NSLock()
            var count = 0
            func credentials() async throws -> Credentials {
                lock.withLock { count += 1 }
                return Credentials(accessKeyId: "AKIA", secretAccessKey: "s")
            }
        }
        let clock = CredentialTestClock()
        let counter = Counter()
        let cache = CachingCredentialsProvider(counter, clock: clock.clock)
        for _ in 0..<3 {
            _ = try await cache.credentials()
            clock.advance(365 * 86400)
        }
        #expect(counter.lock.withLock { counter.count } == 1)
        await cache.invalidate()
        _ = try await cache.credentials()
        #expect(counter.lock.withLock { counter.count } == 2)
    }

    @Test func defaultProviderRefreshesFromInstanceMetadata() async throws {
        let base = try await CredentialStubServer.shared.baseURL(["--expires-in", "900"])
        let home = try CredentialTempHome()
        let clock = CredentialTestClock(Date())
        let transport = CredentialCountingTransport(forwardingTo: LoopbackCurlTransport())
        let provider = try CredentialsChain.defaultProvider(
            environment: ["HOME": home.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": base], region: nil, transport: transport,
            clock: clock.clock)
        let first = try await provider.credentials()
        #expect(try await provider.credentials() == first)
        #expect(transport.requests.count == 3)
        // Relative to the expiry the stub actually sent: under load, seconds pass before it answers.
        let expiration = try #require(first.expiration)
        clock.advance(expiration.timeIntervalSince(clock.now) - 299)
        let second = try await provider.credentials()
        #expect(second.accessKeyId != first.accessKeyId)
        #expect(transport.requests.count == 6)
    }
}
