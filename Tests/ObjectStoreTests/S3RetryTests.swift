import Checksums
import Failures
import Foundation
import ObjectStore
import SigV4
import Testing

/// Retry policy and request shape, against a scripted transport (no network).
struct S3RetryTests {
    // @unchecked Sendable: its mutable state is under `lock`.
    final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [Result<HTTPResponse, HTTPTransportError>]
        private(set) var requests: [HTTPRequest] = []

        init(_ answers: [Result<HTTPResponse, HTTPTransportError>]) { self.answers = answers }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let answer: Result<HTTPResponse, HTTPTransportError> = lock.withLock {
                requests.append(request)
                return answers.isEmpty ? .success(HTTPResponse(status: 200, headers: [], body: [])) : answers.removeFirst()
            }
            return try answer.get()
        }
    }

    static func error(_ status: Int, _ code: String) -> Result<HTTPResponse, HTTPTransportError> {
        .success(HTTPResponse(status: status, headers: [], body: Array("<Error><Code>\(code)</Code><Message>m</Message></Error>".utf8)))
    }

    func store(_ transport: any HTTPTransport, attempts: Int = 4, endpoint: String? = "http://127.0.0.1:1") throws -> S3Store {
        try S3Store(
            config: S3Configuration(
                bucket: "bucket", region: "eu-west-1", endpoint: endpoint, maxAttempts: attempts, baseRetryDelay: 0.001),
            credentials: StaticCredentialsProvider(Credentials(accessKeyId: "AKID", secretAccessKey: "SECRET")), transport: transport)
    }

    @Test func transientFailuresAreRetriedThenSucceed() async throws {
        let transport = ScriptedTransport([
            Self.error(503, "SlowDown"),
            .failure(HTTPTransportError(url: "u", reason: "Connection reset by peer")),
            Self.error(500, "InternalError"),
            .success(HTTPResponse(status: 200, headers: [("etag", "\"abc\"")], body: []))
        ])
        let result = try await store(transport).put("k", body: [1])
        #expect(result.etag == "abc")
        #expect(transport.requests.count == 4)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let transport = ScriptedTransport([Self.error(403, "AccessDenied")])
        await #expect(throws: StoreError.self) { try await store(transport).put("k", body: [1]) }
        #expect(transport.requests.count == 1)
    }

    /// S3 answers GetObject of an object a lifecycle rule archived with 403 InvalidObjectState: the
    /// line says to restore it from the archive, not to look at the IAM policy.
    @Test func anArchivedObjectIsNotCalledAnAccessProblem() async throws {
        let transport = ScriptedTransport([Self.error(403, "InvalidObjectState")])
        let error = await #expect(throws: StoreError.self) { try await store(transport).get("topics/a") }
        #expect(transport.requests.count == 1)
        #expect(error?.kind == .archived && error?.isConfigurationError == true)
        #expect(error?.description.contains("archived by its storage class") == true)
        #expect(error?.description.contains("IAM") == false)
    }

    /// A connection refused because this process may open no more descriptors (the transport tells
    /// EMFILE) is not retried: a rerun meets the limit again, so it is a setting (exit 2) whose line
    /// says to raise it. It was retried as a failed connection, then "gave up", exit 1.
    @Test func aConnectionRefusedForTheOpenFilesLimitIsASetting() async throws {
        let transport = ScriptedTransport([
            .failure(
                HTTPTransportError(
                    url: "u", reason: "Failed to connect to 127.0.0.1 port 1: Couldn't connect to server", systemError: EMFILE))
        ])
        let error = await #expect(throws: StoreError.self) { try await store(transport).get("topics/a") }
        #expect(transport.requests.count == 1)
        #expect(error?.isConfigurationError == true)
        #expect(
            error?.description.hasSuffix("Couldn't connect to server; \(OpenFiles.exhaustedAdvice)") == true, "\(error?.description ?? "")")
    }

    @Test func givingUpSaysHowOftenAndWhy() async throws {
        let transport = ScriptedTransport(Array(repeating: Self.error(503, "SlowDown"), count: 10))
        do {
            _ = try await store(transport, attempts: 3).get("topics/a")
            Issue.record("expected a failure")
        } catch let error as StoreError {
            #expect(transport.requests.count == 3)
            #expect(error.description == "get s3://bucket/topics/a: gave up after 3 attempts (SlowDown: m)")
        }
    }

    @Test func putCarriesChecksumsOptionsAndSignature() async throws {
        let transport = ScriptedTransport([])
        let options = PutOptions(
            serverSideEncryption: .kms, kmsKeyID: "key-1", storageClass: "GLACIER_IR", acl: "bucket-owner-full-control",
            objectLock: ObjectLockRetention(mode: .compliance, retainUntil: Date(timeIntervalSince1970: 1_700_000_000)),
            expectedBucketOwner: "111122223333", ifNoneMatch: true)
        try await store(transport).put("a b/c=d", body: Array("abc".utf8), options: options)
        let request = try #require(transport.requests.first)
        let headers = Dictionary(request.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(request.url == "http://127.0.0.1:1/bucket/a%20b/c%3Dd")
        #expect(headers["x-amz-content-sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(headers["x-amz-checksum-crc64nvme"] == CRC64NVME.checksum(Array("abc".utf8)).base64)
        #expect(headers["x-amz-sdk-checksum-algorithm"] == "CRC64NVME")
        #expect(headers["x-amz-server-side-encryption"] == "aws:kms")
        #expect(headers["x-amz-server-side-encryption-aws-kms-key-id"] == "key-1")
        #expect(headers["x-amz-storage-class"] == "GLACIER_IR")
        #expect(headers["x-amz-acl"] == "bucket-owner-full-control")
        #expect(headers["x-amz-object-lock-mode"] == "COMPLIANCE")
        #expect(headers["x-amz-object-lock-retain-until-date"] == "2023-11-14T22:13:20Z")
        #expect(headers["x-amz-expected-bucket-owner"] == "111122223333")
        #expect(headers["if-none-match"] == "*")
        #expect(headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/") == true)
        #expect(headers["authorization"]?.contains("/eu-west-1/s3/aws4_request") == true)
        #expect(!request.headers.contains { $0.value.contains("SECRET") })
    }

    @Test func awsUsesVirtualHostedStyleAndHTTPS() async throws {
        let transport = ScriptedTransport([])
        _ = try await store(transport, endpoint: nil).get("k")
        #expect(transport.requests.first?.url == "https://bucket.s3.eu-west-1.amazonaws.com/k")
    }

    @Test func preconditionFailedMeansAlreadyExists() async throws {
        let transport = ScriptedTransport([Self.error(412, "PreconditionFailed")])
        do {
            try await store(transport).put("m", body: [1], options: PutOptions(ifNoneMatch: true))
            Issue.record("expected already-exists")
        } catch let error as StoreError {
            #expect(error.isAlreadyExists)
        }
    }

    @Test func wrongRegionIsFollowedOnceThenNamed() async throws {
        let redirect = HTTPResponse(status: 301, headers: [("x-amz-bucket-region", "ap-south-1")], body: [])
        let transport = ScriptedTransport([.success(redirect), .success(redirect)])
        do {
            _ = try await store(transport, endpoint: nil).head("k")
            Issue.record("expected a wrong-region failure")
        } catch let error as StoreError {
            #expect(error.kind == .wrongRegion)
            #expect(
                error.description
                    == "head s3://bucket/k: the bucket is in another region; set --region (or AWS_REGION) to it (the bucket is in ap-south-1)"
            )
        }
        #expect(
            transport.requests.map(\.url) == ["https://bucket.s3.eu-west-1.amazonaws.com/k", "https://bucket.s3.ap-south-1.amazonaws.com/k"]
        )
    }

    /// Parts of [1, 2, 3] and [4, 5], as `uploadPart` describes them.
    static let twoParts = [
        CompletedPart(partNumber: 1, etag: "a", checksumCRC64NVME: CRC64NVME.checksum([1, 2, 3] as [UInt8]).base64, length: 3),
        CompletedPart(partNumber: 2, etag: "b", checksumCRC64NVME: CRC64NVME.checksum([4, 5] as [UInt8]).base64, length: 2)
    ]

    static func lostCompletion(head etag: String, size: Int, crc64nvme: String) -> ScriptedTransport {
        ScriptedTransport([
            .failure(HTTPTransportError(url: "u", reason: "transfer closed with 1 bytes remaining to read")),
            Self.error(404, "NoSuchUpload"),
            .success(
                HTTPResponse(
                    status: 200,
                    headers: [
                        ("etag", "\"\(etag)\""), ("content-length", "\(size)"), ("x-amz-checksum-crc64nvme", crc64nvme),
                        ("x-amz-checksum-type", "FULL_OBJECT")
                    ], body: []))
        ])
    }

    /// A server whose multipart ETags do not end in `-<parts>`: the object's full CRC64NVME, made of
    /// the parts' checksums and lengths, says the lost completion was ours.
    @Test func completionWhoseAnswerWasLostIsRecognisedByItsChecksum() async throws {
        let whole = CRC64NVME.checksum([1, 2, 3, 4, 5] as [UInt8]).base64
        let transport = Self.lostCompletion(head: "d41d8cd98f00b204e9800998ecf8427e", size: 5, crc64nvme: whole)
        let result = try await store(transport).completeMultipartUpload("k", uploadId: "u", parts: Self.twoParts)
        #expect(result.etag == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(transport.requests.map(\.method) == ["POST", "POST", "HEAD"])
        #expect(transport.requests.last?.headers.contains { $0.name == "x-amz-checksum-mode" && $0.value == "ENABLED" } == true)
    }

    /// Another object there, even one with as many parts, is not taken for the completion.
    @Test func anotherObjectWhereTheCompletionWasLostIsNotOurs() async throws {
        let other = CRC64NVME.checksum([9, 9, 9, 9, 9] as [UInt8]).base64
        let transport = Self.lostCompletion(head: "abc-2", size: 5, crc64nvme: other)
        let error = await #expect(throws: StoreError.self) {
            try await store(transport).completeMultipartUpload("k", uploadId: "u", parts: Self.twoParts)
        }
        #expect(error?.code == "NoSuchUpload")
    }

    @Test func completionWhoseAnswerWasLostIsRecognised() async throws {
        let transport = ScriptedTransport([
            .failure(HTTPTransportError(url: "u", reason: "transfer closed with 1 bytes remaining to read")),
            Self.error(404, "NoSuchUpload"),
            .success(HTTPResponse(status: 200, headers: [("etag", "\"abc-2\""), ("content-length", "12")], body: []))
        ])
        let result = try await store(transport).completeMultipartUpload(
            "k", uploadId: "u",
            parts: [
                CompletedPart(partNumber: 1, etag: "a"), CompletedPart(partNumber: 2, etag: "b")
            ])
        #expect(result.etag == "abc-2")
        #expect(transport.requests.map(\.method) == ["POST", "POST", "HEAD"])
    }

    /// Before a lease is taken the store proves it refuses what it must, every run: a write on an ETag
    /// the probe does not have (404 while there is none), then a create-only write (twice when the
    /// first creates the probe). Once per store object.
    @Test func conditionalWritesAreProvenBeforeTheFirstLease() async throws {
        let refused = Self.error(412, "PreconditionFailed")
        let first = ScriptedTransport([Self.error(404, "NoSuchKey"), .success(HTTPResponse(status: 200, headers: [], body: [])), refused])
        let s3 = try store(first)
        try await s3.checkConditionalWrites(probe: "_ktape/locks/conditional-writes-probe", options: PutOptions())
        try await s3.checkConditionalWrites(probe: "_ktape/locks/conditional-writes-probe", options: PutOptions())
        #expect(first.requests.map { $0.headers.first { $0.name == "if-none-match" }?.value } == [nil, "*", "*"])
        #expect(first.requests[0].headers.contains { $0.name == "if-match" && $0.value == "\"ktape-probe-no-such-etag\"" })
        let later = ScriptedTransport([refused, refused])
        try await store(later).checkConditionalWrites(probe: "p", options: PutOptions())
        #expect(later.requests.count == 2)
    }

    /// A server that ignores either condition (older MinIO, some Ceph) is refused with one line, exit 2,
    /// and the probe is removed: two runs would both take the lease. One that honours If-None-Match
    /// but not If-Match is caught by every run, with the probe there or not.
    @Test(arguments: [
        ([200], "a write on the condition of an ETag the object does not have (If-Match) was carried out"),
        ([412, 200, 200], "a create-only write (If-None-Match: *) replaced an object that exists")
    ])
    func aServerIgnoringConditionsIsRefused(statuses: [Int], reason: String) async throws {
        let transport = ScriptedTransport(
            statuses.map { $0 == 200 ? .success(HTTPResponse(status: 200, headers: [], body: [])) : Self.error($0, "PreconditionFailed") })
        let error = await #expect(throws: StoreError.self) {
            try await store(transport).checkConditionalWrites(probe: "p", options: PutOptions())
        }
        #expect(error?.isConfigurationError == true)
        #expect(error?.message == reason)
        #expect(error?.description.contains("ktape needs conditional writes (If-None-Match, If-Match)") == true)
        #expect(transport.requests.map(\.method) == Array(repeating: "PUT", count: statuses.count) + ["DELETE"])
    }

    /// A server without conditional writes (or anything else S3 has) answers 501 NotImplemented: not
    /// retried, and a configuration error (exit 2), since a rerun against it fails the same way.
    @Test func notImplementedIsNotRetriedAndSaysWhatKtapeNeeds() async throws {
        let transport = ScriptedTransport([Self.error(501, "NotImplemented")])
        let error = await #expect(throws: StoreError.self) {
            try await store(transport).put("k", body: [1], options: PutOptions(ifNoneMatch: true))
        }
        #expect(error?.isConfigurationError == true)
        #expect(error?.description.contains("ktape needs conditional writes (If-None-Match, If-Match)") == true)
        #expect(transport.requests.count == 1)
    }

    /// A listing that says it is truncated but names no token is refused: taken for the last page, it
    /// made every object after it look missing to verify and restore.
    @Test func aTruncatedListingWithoutATokenIsRefused() async throws {
        let page = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>"
        let transport = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [], body: Array(page.utf8)))])
        let error = await #expect(throws: StoreError.self) { try await store(transport).listAll(prefix: "") }
        #expect(error?.isConfigurationError == true)
        #expect(error?.message == "a truncated listing named no NextContinuationToken")
        let uploads = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>"
        let again = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [], body: Array(uploads.utf8)))])
        await #expect(throws: StoreError.self) { try await store(again).listMultipartUploads(prefix: "") }
        #expect(again.requests.count == 1)
    }

    /// A server that answers a page with the token it was asked with would be asked for it forever
    /// (botocore stops the same way): refused, as are multipart-upload markers that do not move.
    @Test func aListingThatDoesNotAdvanceIsRefused() async throws {
        func page(_ body: String) -> Result<HTTPResponse, HTTPTransportError> {
            .success(HTTPResponse(status: 200, headers: [], body: Array(body.utf8)))
        }
        let stuck =
            "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents><NextContinuationToken>t1</NextContinuationToken></ListBucketResult>"
        let transport = ScriptedTransport([page(stuck), page(stuck), page(stuck)])
        let error = await #expect(throws: StoreError.self) { try await store(transport).listAll(prefix: "") }
        #expect(error?.message.contains("named the NextContinuationToken it was asked with") == true, "\(error?.description ?? "")")
        #expect(transport.requests.count == 2)
        let uploads =
            "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><Upload><Key>k</Key><UploadId>u</UploadId></Upload><NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>u</NextUploadIdMarker></ListMultipartUploadsResult>"
        let again = ScriptedTransport([page(uploads), page(uploads), page(uploads)])
        await #expect(throws: StoreError.self) { try await store(again).listMultipartUploads(prefix: "") }
        #expect(again.requests.count == 2)
    }

    /// `IsTruncated` is an xs:boolean: `1` (or `True`) is a truncated page too, whose rest is asked
    /// for, not taken for the end of the store; an error `<Code>` is read without its whitespace.
    @Test func xmlBooleansAndPaddedCodesAreReadAsS3Means() async throws {
        func page(_ truncated: String, _ key: String, token: String?) -> Result<HTTPResponse, HTTPTransportError> {
            let next = token.map { "<NextContinuationToken>\($0)</NextContinuationToken>" } ?? ""
            let body =
                "<ListBucketResult><IsTruncated>\(truncated)</IsTruncated><Contents><Key>\(key)</Key><Size>1</Size></Contents>\(next)</ListBucketResult>"
            return .success(HTTPResponse(status: 200, headers: [], body: Array(body.utf8)))
        }
        let transport = ScriptedTransport([page("1", "a", token: "t1"), page(" True ", "b", token: "t2"), page("false", "c", token: nil)])
        #expect(try await store(transport).listAll(prefix: "").map(\.key) == ["a", "b", "c"])
        let padded = Array("<Error>\n  <Code>\n    RequestTimeout\n  </Code>\n</Error>".utf8)
        let retried = ScriptedTransport([
            .success(HTTPResponse(status: 400, headers: [], body: padded)), .success(HTTPResponse(status: 200, headers: [], body: []))
        ])
        _ = try await store(retried).get("k", range: nil)
        #expect(retried.requests.count == 2)
    }

    /// A HEAD answered without Content-Length has no size: an error naming that, not an object of
    /// 0 bytes (which verify and restore then called damaged).
    @Test func aHeadWithoutContentLengthIsAnErrorNotAnEmptyObject() async throws {
        let transport = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [("etag", "\"e\"")], body: []))])
        let error = await #expect(throws: StoreError.self) { _ = try await store(transport).head("k") }
        #expect(error?.kind == .transient)
        #expect(error?.description.contains("no Content-Length") == true, "\(String(describing: error))")
        let sized = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [("content-length", "42")], body: []))])
        #expect(try await store(sized).head("k").size == 42)
    }

    /// DeleteObjects answers per key: a key refused with a transient code is asked for again (alone),
    /// one refused otherwise stops the delete.
    @Test func deleteObjectsAsksAgainForKeysRefusedWithATransientCode() async throws {
        func answer(_ errors: [(String, String)]) -> Result<HTTPResponse, HTTPTransportError> {
            let body = errors.map { "<Error><Key>\($0.0)</Key><Code>\($0.1)</Code><Message>m</Message></Error>" }.joined()
            return .success(HTTPResponse(status: 200, headers: [], body: Array("<DeleteResult>\(body)</DeleteResult>".utf8)))
        }
        let transport = ScriptedTransport([answer([("b", "InternalError")]), answer([("b", "SlowDown")]), answer([])])
        try await store(transport).delete(keys: ["a", "b", "c"])
        #expect(transport.requests.count == 3)
        let last = String(decoding: transport.requests[2].body, as: UTF8.self)
        #expect(last.contains("<Key>b</Key>") && !last.contains("<Key>a</Key>"), "\(last)")
        let refused = ScriptedTransport([answer([("a", "AccessDenied")])])
        let error = await #expect(throws: StoreError.self) { try await store(refused).delete(keys: ["a"]) }
        #expect(error?.kind == .accessDenied)
        #expect(refused.requests.count == 1)
    }

    /// S3 may send whitespace for minutes before the answer of a 200 CompleteMultipartUpload, which can
    /// still be an error: one after 5,000 spaces (the check stopped at 4 KiB) is a failure too.
    @Test(arguments: [0, 5_000])
    func errorInsideA200CompleteIsAFailure(padding: Int) async throws {
        let body =
            Array(String(repeating: " ", count: padding).utf8)
            + Array("<?xml version=\"1.0\"?>\n<Error><Code>InvalidPart</Code></Error>".utf8)
        let transport = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [], body: body))])
        let error = await #expect(throws: StoreError.self) {
            try await store(transport).completeMultipartUpload("k", uploadId: "u", parts: [CompletedPart(partNumber: 1, etag: "e")])
        }
        #expect(error?.code == "InvalidPart")
        #expect(transport.requests.count == 1)
    }

    /// A 200 CompleteMultipartUpload without its result (cut short, or empty) is not taken for a
    /// completed object: it is asked again, and the object is only done once the server says so (in
    /// whatever element: moto's is CompleteMultipartUploadResponse, S3's CompleteMultipartUploadResult).
    @Test func a200CompleteWithoutItsResultIsAskedAgain() async throws {
        let done = HTTPResponse(
            status: 200, headers: [],
            body: Array("  <CompleteMultipartUploadResponse><ETag>\"f-1\"</ETag></CompleteMultipartUploadResponse>".utf8))
        let transport = ScriptedTransport([
            .success(HTTPResponse(status: 200, headers: [], body: [])),
            .success(HTTPResponse(status: 200, headers: [], body: Array("<CompleteMultipartUpl".utf8))),
            .success(done)
        ])
        let result = try await store(transport).completeMultipartUpload(
            "k", uploadId: "u", parts: [CompletedPart(partNumber: 1, etag: "e")])
        #expect(result.etag == "f-1")
        #expect(transport.requests.count == 3)
        let never = ScriptedTransport([])
        let error = await #expect(throws: StoreError.self) {
            try await store(never, attempts: 2).completeMultipartUpload(
                "k", uploadId: "u", parts: [CompletedPart(partNumber: 1, etag: "e")])
        }
        #expect(error?.description.contains("HTTP 200 without a whole XML answer") == true)
    }
}
