import Checksums
import Foundation
import SigV4

/// One signed S3 request, sent with retries: exponential backoff with full jitter on 5xx, 429,
/// SlowDown, timeouts and dropped connections; no retry on other 4xx. A bucket in another region is
/// followed as boto3 follows it: an answer 301, 307 or 400 naming the bucket's region
/// (`x-amz-bucket-region`, or `<Region>` in the body) is sent again once, signed for that region
/// (and, on AWS, to its regional host), and later requests go there directly.
struct S3Client: Sendable {
    let config: S3Configuration
    /// The region requests are signed for: the configured one until S3 names the bucket's own.
    let signingRegion: Locked<String>
    let credentials: any CredentialsProvider
    let transport: any HTTPTransport
    let location: String
    /// Told about every attempt of every request (`-v`).
    var requestLog: S3RequestLog?
    /// How far the server's clock is ahead of this host's, as its answers' `Date` headers say:
    /// requests are signed by the server's time (S3 refuses one more than 15 minutes off), and leases
    /// are timed by it.
    let serverClock = ServerClock()

    struct Call {
        var operation: String
        var method: String
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        /// Hex SHA-256 of the body when the caller already has it.
        var payloadHash: String?
        /// The headers carry a checksum of the body that S3 verifies: over HTTPS the body is then sent
        /// as `UNSIGNED-PAYLOAD`, without the SHA-256 pass over it (TLS protects it on the way).
        var bodyIsChecksummed = false
        /// Statuses that count as success besides 2xx (none by default).
        var accept: Set<Int> = []
        /// A 2xx answer must carry a whole XML document (servers name its root differently: moto's
        /// CompleteMultipartUploadResponse is S3's CompleteMultipartUploadResult); one without is retried.
        var needsDocument = false
    }

    init(
        config: S3Configuration, credentials: any CredentialsProvider, transport: any HTTPTransport, location: String,
        requestLog: S3RequestLog? = nil
    ) throws {
        _ = try S3Addressing(config, region: config.region)  // refuses a bad endpoint or style before any request
        self.config = config
        self.signingRegion = Locked(config.region)
        self.credentials = credentials
        self.transport = transport
        self.location = location
        self.requestLog = requestLog
    }

    func send(_ call: Call, followingRegion: Bool = true) async throws -> HTTPResponse {
        let region = signingRegion.withLock { $0 }
        let addressing = try S3Addressing(config, region: region)
        let payloadHash =
            call.bodyIsChecksummed && addressing.scheme == "https"
            ? "UNSIGNED-PAYLOAD" : call.payloadHash ?? Digest.hex(Digest.sha256(call.body))
        let path = addressing.path(for: call.key)
        var url = "\(addressing.scheme)://\(addressing.host)\(URIEncoding.encode(path, keepSlash: true))"
        if !call.query.isEmpty { url += "?" + URIEncoding.canonicalQuery(call.query) }
        var headers = call.headers
        if let owner = config.expectedBucketOwner, !headers.contains(where: { $0.name == "x-amz-expected-bucket-owner" }) {
            headers.append(("x-amz-expected-bucket-owner", owner))
        }
        var lastFailure: StoreError?
        for attempt in 1...config.maxAttempts {
            if attempt > 1 { try await backoff(attempt: attempt - 1) }
            let current: Credentials
            do {
                current = try await credentials.credentials()
            } catch {
                // An unreachable credentials endpoint may answer next time; anything else needs new settings.
                let transient: Bool
                if case .endpointFailed? = error as? CredentialsError { transient = true } else { transient = false }
                throw StoreError(
                    transient ? .transient : .noCredentials, operation: call.operation, location: location,
                    key: call.key, message: transient ? "no credentials: \(error)" : "\(error)")
            }
            let signer = Signer(credentials: current, region: region, service: "s3")
            let signedOffset = serverClock.offsetSeconds
            let signed = signer.signedHeaders(
                SignableRequest(
                    method: call.method, host: addressing.host, path: path, query: call.query,
                    headers: headers, payloadHash: payloadHash), date: Date().addingTimeInterval(signedOffset))
            // curl sets Host from the URL itself.
            let wire = signed.filter { $0.name != "host" }
            let response: HTTPResponse
            let sent = Date()
            do {
                response = try await transport.send(
                    HTTPRequest(
                        method: call.method, url: url, headers: wire, body: call.body,
                        timeout: config.requestTimeout))
            } catch let failure as HTTPTransportError {
                if let systemError = failure.systemError {
                    // The open-files limit: a retry, or a rerun, meets it again (exit 2, as a directory store's).
                    var error = StoreError(.io, operation: call.operation, location: location, key: call.key, message: failure.reason)
                    error.systemError = systemError
                    throw error
                }
                lastFailure = StoreError(.transient, operation: call.operation, location: location, key: call.key, message: failure.reason)
                requestLog?(S3RequestRecord(call: call, status: nil, attempt: attempt, since: sent, errorCode: failure.reason))
                continue
            }
            let code = (200..<300).contains(response.status) ? nil : XMLElement.parse(response.body)?.trimmedValue("Code")
            requestLog?(S3RequestRecord(call: call, status: response.status, attempt: attempt, since: sent, errorCode: code))
            let refusedForTheClock = code.map(Self.clockCodes.contains) == true
            serverClock.observe(response, sent: sent, body: refusedForTheClock)
            // Since this request was signed: by this answer, or by another's while both were in flight.
            let moved = serverClock.offsetSeconds - signedOffset
            if refusedForTheClock && abs(moved) >= ServerClock.noise || Self.isBodilessClockRefusal(response, code: code, moved: moved) {
                continue  // signed by a clock the server disowns: again, by its own
            }
            if (200..<300).contains(response.status) || call.accept.contains(response.status) {
                // CompleteMultipartUpload can fail after a 200 with an <Error> body.
                if call.method == "POST", let error = embeddedError(response, call) {
                    if error.isPermanent { throw error }
                    lastFailure = error
                    continue
                }
                if call.needsDocument, (200..<300).contains(response.status), XMLElement.parse(response.body) == nil {
                    // Empty or cut short: asked again, as a retry of a lost answer would be.
                    lastFailure = StoreError(
                        .transient, operation: call.operation, location: location, key: call.key,
                        message: "HTTP \(response.status) without a whole XML answer", status: response.status)
                    continue
                }
                return response
            }
            if followingRegion, let bucketRegion = Self.bucketRegion(in: response), bucketRegion != region {
                signingRegion.withLock { $0 = bucketRegion }
                return try await send(call, followingRegion: false)
            }
            let error = S3ErrorMapping.error(
                status: response.status, body: response.body, operation: call.operation, location: location,
                key: call.key, bucketRegion: response.header("x-amz-bucket-region"))
            guard !error.isPermanent else { throw error }
            lastFailure = error
        }
        var gaveUp = lastFailure ?? StoreError(.transient, operation: call.operation, location: location, key: call.key)
        gaveUp.kind = .gaveUp(attempts: config.maxAttempts)
        throw gaveUp
    }

    /// What S3 (and servers like it) answer to a request signed too far from their own time.
    static let clockCodes: Set<String> = ["RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"]

    /// A HEAD's 403 has no body to say RequestTimeTooSkewed: its Date header, further from the time
    /// the request was signed with than S3's 15 minutes allow (`moved`, seconds), says it instead.
    static func isBodilessClockRefusal(_ response: HTTPResponse, code: String?, moved: TimeInterval) -> Bool {
        response.status == 403 && code == nil && abs(moved) >= 14 * 60
    }

    /// The bucket's region when an answer says the request went to the wrong one.
    static func bucketRegion(in response: HTTPResponse) -> String? {
        guard [301, 307, 400].contains(response.status) else { return nil }
        let named = response.header("x-amz-bucket-region") ?? XMLElement.parse(response.body)?.value("Region")
        // It becomes part of a host name: nothing but a-z, 0-9 and '-'.
        guard let region = named?.trimmingCharacters(in: .whitespaces), !region.isEmpty,
            region.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else { return nil }
        return region
    }

    private func embeddedError(_ response: HTTPResponse, _ call: Call) -> StoreError? {
        guard XMLElement.rootName(response.body) == "Error" else { return nil }
        return S3ErrorMapping.error(
            status: response.status, body: response.body, operation: call.operation, location: location, key: call.key)
    }

    /// Full jitter: uniform in [0, min(max, base × 2^retry)]. Also the pause before asking again for
    /// keys a DeleteObjects answer refused with a transient code.
    func backoff(attempt: Int) async throws {
        let cap = min(config.maxRetryDelay, config.baseRetryDelay * pow(2, Double(attempt - 1)))
        let delay = Double.random(in: 0...max(cap, 0.001))
        try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
    }
}
