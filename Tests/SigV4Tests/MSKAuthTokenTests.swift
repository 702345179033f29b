import Foundation
import Spawn
import Testing
@testable import SigV4

/// ktape's MSK IAM tokens against AWS's reference signer, `aws-msk-iam-sasl-signer-python`
/// (installed into .venv by scripts/setup), run through scripts/msk-reference-token at the same
/// clock, credentials and region.
struct MSKAuthTokenTests {
    struct Case: Codable {
        var accessKeyId: String
        var secretAccessKey: String
        var sessionToken: String?
        var region: String
        var epochSeconds: Int
    }

    struct Reference: Codable {
        var token: String
        var expirationMs: Int64
        var userAgent: String
    }

    static let cases = [
        Case(
            accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            sessionToken: nil, region: "us-east-1", epochSeconds: 1_800_000_000),
        Case(
            accessKeyId: "ASIAQEXAMPLE00000001", secretAccessKey: "se/cr+et=with symbols",
            sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//+token==", region: "eu-west-1", epochSeconds: 1_764_979_199),
        Case(
            accessKeyId: "ASIAQEXAMPLE00000002", secretAccessKey: "second-secret",
            sessionToken: "short", region: "ap-southeast-2", epochSeconds: 1_704_067_200),
        Case(
            accessKeyId: "AKIACHINAEXAMPLE0003", secretAccessKey: "china-secret",
            sessionToken: nil, region: "cn-north-1", epochSeconds: 946_684_799)
    ]

    static func references(_ cases: [Case]) throws -> [Reference] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = ChildProcess()
        process.executableURL = root.appendingPathComponent("scripts/msk-reference-token")
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "scripts/msk-reference-token failed: \(problem)")
        return try JSONDecoder().decode([Reference].self, from: data)
    }

    @Test func tokensMatchAWSReferenceSignerByteForByte() throws {
        let references = try Self.references(Self.cases)
        try #require(references.count == Self.cases.count)
        for (testCase, reference) in zip(Self.cases, references) {
            let credentials = Credentials(
                accessKeyId: testCase.accessKeyId, secretAccessKey: testCase.secretAccessKey,
                sessionToken: testCase.sessionToken)
            let token = MSKAuthToken(
                credentials: credentials, region: testCase.region,
                date: Date(timeIntervalSince1970: Double(testCase.epochSeconds)), userAgent: reference.userAgent)
            #expect(
                token.value == reference.token,
                "\(testCase.region) at \(testCase.epochSeconds): \(MSKAuthToken.signedURL(of: token.value) ?? "?") != \(MSKAuthToken.signedURL(of: reference.token) ?? "?")"
            )
            #expect(Int64(token.expiration.timeIntervalSince1970 * 1000) == reference.expirationMs)
        }
    }

    @Test func ownUserAgentChangesOnlyTheUnsignedTail() throws {
        let testCase = Self.cases[1]
        let reference = try #require(try Self.references([testCase]).first)
        let credentials = Credentials(
            accessKeyId: testCase.accessKeyId, secretAccessKey: testCase.secretAccessKey,
            sessionToken: testCase.sessionToken)
        let token = MSKAuthToken(
            credentials: credentials, region: testCase.region,
            date: Date(timeIntervalSince1970: Double(testCase.epochSeconds)), userAgent: "ktape/0.1.0")
        let ours = try #require(MSKAuthToken.signedURL(of: token.value))
        let theirs = try #require(MSKAuthToken.signedURL(of: reference.token))
        let signedPart = { (url: String) in String(url[..<url.range(of: "&User-Agent=")!.lowerBound]) }
        #expect(signedPart(ours) == signedPart(theirs))
        #expect(ours.hasSuffix("&User-Agent=ktape%2F0.1.0"))
    }

    @Test func tokenIsBase64URLWithoutPaddingAndNeverPrinted() throws {
        let credentials = Credentials(accessKeyId: "AKID", secretAccessKey: "SECRET", sessionToken: "SESSION")
        // 1 second past a whole second: the expiry is counted from the whole second, as the signers do.
        let token = MSKAuthToken(credentials: credentials, region: "us-west-2", date: Date(timeIntervalSince1970: 1_800_000_000.75))
        #expect(!token.value.contains("=") && !token.value.contains("+") && !token.value.contains("/"))
        #expect(token.expiration == Date(timeIntervalSince1970: 1_800_000_900))
        let url = try #require(MSKAuthToken.signedURL(of: token.value))
        #expect(url.hasPrefix("https://kafka.us-west-2.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
        #expect(url.contains("&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=SESSION&X-Amz-Signature="))
        #expect(!url.contains("SECRET"))
        #expect(!"\(token)".contains(token.value))
    }
}
