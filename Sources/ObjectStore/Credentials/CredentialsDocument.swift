import Foundation
import SigV4
import TimeText

/// The JSON document the container endpoint and EC2 instance metadata both return:
/// `{"AccessKeyId": ..., "SecretAccessKey": ..., "Token": ..., "Expiration": "2026-11-24T13:00:00Z"}`
/// (instance metadata adds `"Code": "Success"`).
enum CredentialsDocument {
    /// Parses the document; `problem` names the missing or bad field, never a value.
    static func parse(_ body: [UInt8]) -> Result<Credentials, Problem> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(Problem("response is not a JSON object"))
        }
        if let code = object["Code"] as? String, code != "Success" {
            let message = (object["Message"] as? String).map { ": \($0)" } ?? ""
            return .failure(Problem("Code is \(code)\(message)"))
        }
        guard let keyId = object["AccessKeyId"] as? String, !keyId.isEmpty else { return .failure(Problem("no AccessKeyId in response")) }
        guard let secret = object["SecretAccessKey"] as? String, !secret.isEmpty else {
            return .failure(Problem("no SecretAccessKey in response"))
        }
        var expiration: Date?
        if let text = object["Expiration"] as? String {
            guard let date = parseAWSTimestamp(text) else { return .failure(Problem("Expiration '\(text)' is not an ISO 8601 time")) }
            expiration = date
        }
        let token = (object["Token"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return .success(Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration))
    }

    struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// Parses `2026-11-24T13:00:00Z`, with or without fractional seconds, or with an offset.
func parseAWSTimestamp(_ text: String) -> Date? { Timestamps.parseRFC3339(text) }
