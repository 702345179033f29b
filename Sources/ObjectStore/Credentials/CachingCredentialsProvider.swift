import Foundation
import SigV4

/// Caches another provider's credentials and refreshes them ahead of their `expiration`.
///
/// An actor, so concurrent callers share one refresh: while a fetch is in flight every caller
/// awaits the same task. Credentials without an expiration (long-term keys) are kept for good.
/// If a refresh fails while the cached credentials have not yet expired, those are returned
/// (a brief IMDS or STS outage inside the refresh window does not stop uploads).
public actor CachingCredentialsProvider: CredentialsProvider {
    /// How long before `expiration` a refresh starts; the AWS SDKs use about five minutes.
    public static let defaultRefreshMargin: TimeInterval = 5 * 60

    private let base: CredentialsProvider
    private let clock: CredentialsClock
    private let refreshMargin: TimeInterval
    private var cached: Credentials?
    private var inFlight: Task<Credentials, Error>?

    public init(
        _ base: CredentialsProvider, refreshMargin: TimeInterval = CachingCredentialsProvider.defaultRefreshMargin,
        clock: @escaping CredentialsClock = { Date() }
    ) {
        self.base = base
        self.refreshMargin = refreshMargin
        self.clock = clock
    }

    public func credentials() async throws -> Credentials {
        if let cached, !needsRefresh(cached) { return cached }
        let task: Task<Credentials, Error>
        if let running = inFlight {
            task = running
        } else {
            let base = self.base
            task = Task { try await base.credentials() }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task { inFlight = nil }
            cached = fresh
            return fresh
        } catch {
            if inFlight == task { inFlight = nil }
            if let cached, let expiration = cached.expiration, clock() < expiration { return cached }
            throw error
        }
    }

    /// Forgets the cached credentials, e.g. after S3 answered `ExpiredToken`.
    public func invalidate() {
        cached = nil
    }

    private func needsRefresh(_ credentials: Credentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return clock() >= expiration.addingTimeInterval(-refreshMargin)
    }
}
