import Checksums
import Foundation
import Testing
@testable import SigV4

/// Cases of AWS's generic SigV4 test suite (aws-sig-v4-test-suite: service `service`, region
/// us-east-1, 2015-08-30T12:36:00Z, key AKIDEXAMPLE). The suite's paths are written already
/// encoded, so its signer encodes them once.
struct AWSTestSuiteTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var method = "GET"
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        var signedHeaders = "host;x-amz-date"
        var signature: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "get-vanilla", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Case(name: "post-vanilla", method: "POST", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Case(
            name: "get-vanilla-query-order-key-case", query: [("Param2", "value2"), ("Param1", "value1")],
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Case(
            name: "get-vanilla-query-order-value", query: [("Param1", "value2"), ("Param1", "value1")],
            signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Case(
            name: "get-unreserved", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Case(name: "get-utf8", path: "/ሴ", signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Case(
            name: "get-space-normalized", path: "/example space/",
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        Case(
            name: "get-header-key-duplicate", headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date", signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Case(
            name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1", signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    ]

    /// 2015-08-30T12:36:00Z
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    @Test(arguments: cases)
    func reproducesTheSuite(_ suiteCase: Case) {
        var signer = Signer(
            credentials: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "service")
        signer.encodesPathTwice = false
        let request = SignableRequest(
            method: suiteCase.method, host: "example.amazonaws.com", path: suiteCase.path, query: suiteCase.query,
            headers: suiteCase.headers, payloadHash: Digest.hex(Digest.sha256(Array(suiteCase.body.utf8))))
        let headers = signer.signedHeaders(request, date: Self.date)
        #expect(!headers.contains { $0.name == "x-amz-content-sha256" })
        let authorization = headers.first { $0.name == "authorization" }?.value ?? ""
        #expect(
            authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
                + "SignedHeaders=\(suiteCase.signedHeaders),Signature=\(suiteCase.signature)")
    }

    @Test func utf8StringToSignMatches() {
        var signer = Signer(
            credentials: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "service")
        signer.encodesPathTwice = false
        let canonical = signer.canonicalRequest(
            SignableRequest(
                method: "GET", host: "example.amazonaws.com", path: "/ሴ",
                headers: [("host", "example.amazonaws.com"), ("x-amz-date", "20150830T123600Z")]))
        #expect(canonical.hasPrefix("GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\n"))
        #expect(
            signer.stringToSign(canonicalRequest: canonical, date: Self.date)
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102"
        )
    }
}
