import Foundation
import SigV4

/// Reads an STS `AssumeRole` or `AssumeRoleWithWebIdentity` answer:
/// `<...Response><...Result><Credentials>` on success,
/// `<ErrorResponse><Error><Code>/<Message>` on failure. Uses the module's small XML reader (no
/// libxml2 dependency).
enum STSResponseParser {
    enum Outcome {
        case credentials(Credentials)
        case stsError(code: String, message: String)
        case malformed(String)
    }

    static func parse(_ body: [UInt8]) -> Outcome {
        guard let document = XMLElement.parse(body) else { return .malformed("response is not XML") }
        if document.name == "ErrorResponse" || document.name == "Error" {
            let error = document.child("Error") ?? document
            return .stsError(code: trimmed(error.value("Code")) ?? "unknown error", message: trimmed(error.value("Message")) ?? "")
        }
        guard let credentials = document.children.first(where: { $0.name.hasSuffix("Result") })?.child("Credentials") else {
            return .malformed("no Credentials element in response")
        }
        guard let keyId = trimmed(credentials.value("AccessKeyId")) else { return .malformed("no AccessKeyId in response") }
        guard let secret = trimmed(credentials.value("SecretAccessKey")) else { return .malformed("no SecretAccessKey in response") }
        var expiration: Date?
        if let text = trimmed(credentials.value("Expiration")) {
            guard let date = parseAWSTimestamp(text) else { return .malformed("Expiration '\(text)' is not an ISO 8601 time") }
            expiration = date
        }
        return .credentials(
            Credentials(
                accessKeyId: keyId, secretAccessKey: secret,
                sessionToken: trimmed(credentials.value("SessionToken")), expiration: expiration))
    }

    /// The text without surrounding whitespace, nil when nothing is left.
    private static func trimmed(_ text: String?) -> String? {
        guard let value = text?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return value
    }
}
