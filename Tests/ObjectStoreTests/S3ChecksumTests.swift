import Checksums
import Foundation
import ObjectStore
import SigV4
import Testing

/// What S3 is told about a body's checksum, and what ktape reads back of it (scripted transport, no network).
struct S3ChecksumTests {
    typealias ScriptedTransport = S3RetryTests.ScriptedTransport

    func store(_ transport: ScriptedTransport, endpoint: String) throws -> S3Store {
        try S3Store(
            config: S3Configuration(bucket: "bucket", region: "eu-west-1", endpoint: endpoint, maxAttempts: 1),
            credentials: StaticCredentialsProvider(Credentials(accessKeyId: "AKID", secretAccessKey: "SECRET")), transport: transport)
    }

    static func headers(_ request: HTTPRequest) -> [String: String] {
        Dictionary(request.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Over HTTPS the body is not hashed for the signature: TLS and the CRC that S3 checks cover it.
    @Test func overHTTPSUploadsAreUnsignedPayloadsWithACRC() async throws {
        let transport = ScriptedTransport([])
        let s3 = try store(transport, endpoint: "https://127.0.0.1:1")
        let body = Array("hello, parts".utf8)
        try await s3.put("k", body: body)
        let part = try await s3.uploadPart("k", uploadId: "u", partNumber: 1, body: body)
        _ = try await s3.get("k")
        let (put, upload, get) = (
            Self.headers(transport.requests[0]), Self.headers(transport.requests[1]), Self.headers(transport.requests[2])
        )
        for headers in [put, upload] {
            #expect(headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD")
            #expect(headers["x-amz-checksum-crc64nvme"] == CRC64NVME.checksum(body).base64)
            #expect(headers["x-amz-sdk-checksum-algorithm"] == "CRC64NVME")
            #expect(headers["authorization"]?.contains("x-amz-checksum-crc64nvme") == true, "the checksum header is signed")
        }
        #expect(part.checksumCRC64NVME == CRC64NVME.checksum(body).base64)
        // A request without a checksummed body still signs its (empty) body's hash.
        #expect(get["x-amz-content-sha256"] == Digest.hex(Digest.sha256([UInt8]())))
    }

    /// Over plain HTTP the payload stays signed: nothing else would protect it on the way.
    @Test func overHTTPUploadsSignTheBodysSHA256() async throws {
        let transport = ScriptedTransport([])
        let body = Array("abc".utf8)
        _ = try await store(transport, endpoint: "http://127.0.0.1:1").uploadPart("k", uploadId: "u", partNumber: 2, body: body)
        let headers = Self.headers(try #require(transport.requests.first))
        #expect(headers["x-amz-content-sha256"] == Digest.hex(Digest.sha256(body)))
        #expect(headers["x-amz-checksum-crc64nvme"] == CRC64NVME.checksum(body).base64)
    }

    /// Multipart objects get a full-object CRC64NVME: S3 combines the parts' CRCs into the CRC of the
    /// whole object, which a later check compares with the manifest whatever the part size was.
    @Test func multipartUploadsAskForAFullObjectCRCAndNameEachPartsCRC() async throws {
        let create = HTTPResponse(
            status: 200, headers: [],
            body: Array("<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>".utf8))
        let complete = HTTPResponse(
            status: 200, headers: [],
            body: Array("<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>".utf8))
        let transport = ScriptedTransport([.success(create), .success(complete)])
        let s3 = try store(transport, endpoint: "http://127.0.0.1:1")
        let id = try await s3.createMultipartUpload("k", options: PutOptions())
        try await s3.completeMultipartUpload(
            "k", uploadId: id,
            parts: [
                CompletedPart(partNumber: 1, etag: "e1", checksumCRC64NVME: "AAAAAAAAAAE="),
                CompletedPart(partNumber: 2, etag: "e2", checksumCRC64NVME: "AAAAAAAAAAI=")
            ])
        let headers = Self.headers(transport.requests[0])
        #expect(headers["x-amz-checksum-algorithm"] == "CRC64NVME")
        #expect(headers["x-amz-checksum-type"] == "FULL_OBJECT")
        let xml = String(decoding: transport.requests[1].body, as: UTF8.self)
        #expect(
            xml.contains("<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag><ChecksumCRC64NVME>AAAAAAAAAAE=</ChecksumCRC64NVME></Part>"))
        #expect(xml.contains("<ChecksumCRC64NVME>AAAAAAAAAAI=</ChecksumCRC64NVME>"))
    }

    @Test func headWithChecksumAsksForChecksumModeAndReadsWhatComesBack() async throws {
        let answer = HTTPResponse(
            status: 200,
            headers: [
                ("content-length", "12"), ("etag", "\"x-3\""),
                ("x-amz-checksum-crc64nvme", "rosUhgp5mIg="), ("x-amz-checksum-type", "FULL_OBJECT")
            ], body: [])
        let transport = ScriptedTransport([.success(answer), .success(answer)])
        let s3 = try store(transport, endpoint: "http://127.0.0.1:1")
        let info = try await s3.headWithChecksum("k")
        #expect(Self.headers(transport.requests[0])["x-amz-checksum-mode"] == "ENABLED")
        #expect(info.checksum == StoredChecksum(algorithm: "CRC64NVME", value: "rosUhgp5mIg=", type: "FULL_OBJECT"))
        #expect(info.size == 12)
        // A plain head asks for nothing more (checksum mode needs kms:Decrypt on SSE-KMS objects).
        let plain = try await s3.head("k")
        #expect(Self.headers(transport.requests[1])["x-amz-checksum-mode"] == nil)
        #expect(plain.checksum == nil)
    }

    @Test func compositeChecksumsAreToldApart() {
        #expect(!StoredChecksum(algorithm: "SHA256", value: "abc=-3", type: "COMPOSITE").isFullObject)
        #expect(!StoredChecksum(algorithm: "SHA256", value: "abc=-3").isFullObject)
        #expect(StoredChecksum(algorithm: "SHA256", value: "abc=").isFullObject)
        #expect(StoredChecksum(algorithm: "CRC64NVME", value: "abc=", type: "FULL_OBJECT").isFullObject)
    }
}
