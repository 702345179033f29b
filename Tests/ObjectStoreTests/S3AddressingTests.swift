import Foundation
import KtapeTestSupport
import ObjectStore
import SigV4
import Testing
import Layout

/// `--addressing-style` and buckets in another region, against a transport that answers as S3
/// does: nothing leaves the process.
@Suite struct S3AddressingTests {
    /// Plays S3 for one bucket in `bucketRegion`: a request signed for another region gets `wrongAnswer`,
    /// one signed for the bucket's region and sent to an acceptable host gets 200.
    // @unchecked Sendable: its mutable state is under `lock`.
    final class RegionalS3: HTTPTransport, @unchecked Sendable {
        let bucketRegion: String
        let wrongAnswer: @Sendable (HTTPRequest) -> HTTPResponse
        private let lock = NSLock()
        private var seen: [HTTPRequest] = []

        init(bucketRegion: String, wrongAnswer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
            self.bucketRegion = bucketRegion
            self.wrongAnswer = wrongAnswer
        }

        var requests: [HTTPRequest] { lock.withLock { seen } }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            lock.withLock { seen.append(request) }
            let authorization = request.headers.first { $0.name == "authorization" }?.value ?? ""
            guard authorization.contains("/\(bucketRegion)/s3/aws4_request") else { return wrongAnswer(request) }
            let empty = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"
            return HTTPResponse(status: 200, headers: [("content-length", "0")], body: request.method == "HEAD" ? [] : Array(empty.utf8))
        }
    }

    static func store(
        _ transport: HTTPTransport, bucket: String = "ktape-far-away", endpoint: String? = nil,
        style: AddressingStyle = .auto
    ) throws -> S3Store {
        try S3Store(
            config: S3Configuration(bucket: bucket, region: "us-east-1", endpoint: endpoint, addressingStyle: style, maxAttempts: 1),
            credentials: StaticCredentialsProvider(Credentials(accessKeyId: "AKIATEST", secretAccessKey: "secret")), transport: transport)
    }

    static func permanentRedirect(header: Bool) -> @Sendable (HTTPRequest) -> HTTPResponse {
        { _ in
            let body =
                "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Endpoint>ktape-far-away.s3.eu-central-1.amazonaws.com</Endpoint><Bucket>ktape-far-away</Bucket></Error>"
            return HTTPResponse(status: 301, headers: header ? [("x-amz-bucket-region", "eu-central-1")] : [], body: Array(body.utf8))
        }
    }

    @Test func bucketInAnotherRegionIsFollowedOnceThenAddressedDirectly() async throws {
        let s3 = RegionalS3(bucketRegion: "eu-central-1", wrongAnswer: Self.permanentRedirect(header: true))
        let store = try Self.store(s3)
        _ = try await store.list(prefix: "topics/")
        _ = try await store.list(prefix: "_ktape/")
        let hosts = s3.requests.map { URL(string: $0.url)?.host ?? "" }
        #expect(
            hosts == [
                "ktape-far-away.s3.us-east-1.amazonaws.com", "ktape-far-away.s3.eu-central-1.amazonaws.com",
                "ktape-far-away.s3.eu-central-1.amazonaws.com"
            ])
        #expect(store.region == "eu-central-1")
    }

    @Test func headerOnlyAnswersAndAuthorizationHeaderMalformedAreFollowedToo() async throws {
        // HEAD answers carry no body: S3 names the region in the header of a 400.
        let head = RegionalS3(bucketRegion: "ap-southeast-2") { _ in
            HTTPResponse(status: 400, headers: [("x-amz-bucket-region", "ap-southeast-2")], body: [])
        }
        _ = try await Self.store(head).head("_ktape/lock")
        #expect(head.requests.count == 2)
        // Right host, wrong signing region (a custom endpoint keeps its host; only the signature changes).
        let malformed = RegionalS3(bucketRegion: "eu-west-2") { _ in
            HTTPResponse(
                status: 400, headers: [],
                body: Array(
                    "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-2'</Message><Region>eu-west-2</Region></Error>"
                        .utf8))
        }
        let store = try Self.store(malformed, endpoint: "http://127.0.0.1:9")
        _ = try await store.list(prefix: "")
        #expect(malformed.requests.map(\.url).allSatisfy { $0.hasPrefix("http://127.0.0.1:9/ktape-far-away/") })
        #expect(store.region == "eu-west-2")
    }

    @Test func redirectWithoutARegionIsAnErrorNamingTheEndpoint() async throws {
        let s3 = RegionalS3(bucketRegion: "eu-central-1", wrongAnswer: Self.permanentRedirect(header: false))
        let error = try await #require(throws: StoreError.self) { try await Self.store(s3).list(prefix: "") }
        #expect(error.kind == .wrongRegion)
        #expect(error.description.contains("use endpoint ktape-far-away.s3.eu-central-1.amazonaws.com"))
        #expect(s3.requests.count == 1)
    }

    @Test func addressingStylesBuildTheHostsAsked() async throws {
        func firstURL(bucket: String = "ktape-far-away", endpoint: String? = nil, style: AddressingStyle) async throws -> String {
            let s3 = RegionalS3(bucketRegion: "us-east-1") { _ in HTTPResponse(status: 500, headers: [], body: []) }
            _ = try await Self.store(s3, bucket: bucket, endpoint: endpoint, style: style).list(prefix: "")
            return s3.requests.first?.url ?? ""
        }
        #expect(try await firstURL(style: .auto).hasPrefix("https://ktape-far-away.s3.us-east-1.amazonaws.com/?"))
        #expect(try await firstURL(style: .path).hasPrefix("https://s3.us-east-1.amazonaws.com/ktape-far-away/?"))
        #expect(try await firstURL(bucket: "ktape.dotted", style: .auto).hasPrefix("https://s3.us-east-1.amazonaws.com/ktape.dotted/?"))
        #expect(try await firstURL(endpoint: "http://127.0.0.1:9", style: .auto).hasPrefix("http://127.0.0.1:9/ktape-far-away/?"))
        #expect(try await firstURL(endpoint: "http://localhost:9", style: .virtual).hasPrefix("http://ktape-far-away.localhost:9/?"))
        let dotted = try #require(throws: StoreError.self) {
            try Self.store(
                RegionalS3(bucketRegion: "x") { _ in HTTPResponse(status: 500, headers: [], body: []) },
                bucket: "ktape.dotted", style: .virtual)
        }
        #expect(dotted.description.contains("use --addressing-style path or auto"))
    }

    /// Virtual-hosted requests against moto (signatures checked): `bucket.localhost` resolves to loopback.
    @Test func virtualHostedStyleWorksAgainstMoto() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let endpoint = server.endpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let virtual = try S3Store(
            config: S3Configuration(bucket: store.config.bucket, endpoint: endpoint, addressingStyle: .virtual),
            credentials: StaticCredentialsProvider(server.credentials), transport: S3TestServer.transport)
        try await virtual.put("topics/t/partition=0/x.json", body: Array("virtual".utf8))
        #expect(try await store.get("topics/t/partition=0/x.json") == Array("virtual".utf8))
    }
}
