import Checksums
import Foundation
import Testing
@testable import SigV4

struct SignerRulesTests {
    let credentials = Credentials(accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN")
    let date = Date(timeIntervalSince1970: 1_369_353_600)

    @Test func encodingKeepsUnreservedAndSlashOnly() {
        #expect(URIEncoding.encode("a b/c~d_e.f-g+h=é", keepSlash: true) == "a%20b/c~d_e.f-g%2Bh%3D%C3%A9")
        #expect(URIEncoding.encode("a/b") == "a%2Fb")
    }

    @Test func nonS3PathsAreEncodedTwice() {
        let sts = Signer(credentials: credentials, region: "us-east-1", service: "sts")
        let s3 = Signer(credentials: credentials, region: "us-east-1", service: "s3")
        #expect(sts.canonicalPath("/a b") == "/a%2520b")
        #expect(s3.canonicalPath("/a b") == "/a%20b")
    }

    @Test func headerValuesAreTrimmedAndRepeatsJoined() {
        let canonical = Signer.canonicalHeaders([("X-A", "  one   two "), ("x-a", "three"), ("B", "b")])
        #expect(canonical.map(\.name) == ["b", "x-a"])
        #expect(canonical.last?.value == "one two,three")
    }

    @Test func sessionTokenIsSignedAndSecretNeverPrinted() throws {
        let signer = Signer(credentials: credentials, region: "eu-west-1", service: "s3")
        let headers = signer.signedHeaders(SignableRequest(method: "GET", host: "h", path: "/k"), date: date)
        #expect(headers.contains { $0.name == "x-amz-security-token" && $0.value == "TOKEN" })
        let authorization = try #require(headers.first { $0.name == "authorization" }?.value)
        #expect(authorization.contains("x-amz-security-token"))
        #expect(!authorization.contains("SECRET"))
        #expect(!"\(credentials)".contains("SECRET"))
    }

    @Test func presignForKafkaClusterCarriesTokenAndAction() {
        let signer = Signer(credentials: credentials, region: "us-east-1", service: "kafka-cluster")
        let url = signer.presignedURL(
            SignableRequest(
                method: "GET", host: "b-1.msk.example", path: "/",
                query: [("Action", "kafka-cluster:Connect")]),
            date: date, expires: 900, scheme: "kafka")
        #expect(url.hasPrefix("kafka://b-1.msk.example/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256"))
        #expect(url.contains("&X-Amz-Security-Token=TOKEN&"))
        #expect(url.contains("X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fkafka-cluster%2Faws4_request"))
        #expect(url.range(of: "X-Amz-Signature=[0-9a-f]{64}$", options: .regularExpression) != nil)
    }

    @Test func digestsMatchKnownVectors() {
        #expect(Digest.hex(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.hex(Digest.md5(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        let streamed = SHA256Hasher()
        streamed.update(Array("a".utf8))
        streamed.update(Array("bc".utf8)[...])
        #expect(Digest.hex(streamed.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
