import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SigV4

/// Reads an STS `AssumeRoleWithWebIdentity` answer: the `Credentials` element on success,
/// `<ErrorResponse><Error><Code>/<Message>` on failure.
enum STSResponseParser {
    enum Outcome {
        case credentials(Credentials)
        case stsError(code: String, message: String)
        case malformed(String)
    }

    static func parse(_ body: [UInt8]) -> Outcome {
        let collector = LeafCollector()
        let parser = XMLParser(data: Data(body))
        parser.delegate = collector
        guard parser.parse() else { return .malformed("response is not XML") }
        let leaves = collector.leaves
        if let code = leaves["Code"] {
            return .stsError(code: code, message: leaves["Message"] ?? "")
        }
        guard let keyId = leaves["AccessKeyId"], !keyId.isEmpty else { return .malformed("no AccessKeyId in response") }
        guard let secret = leaves["SecretAccessKey"], !secret.isEmpty else { return .malformed("no SecretAccessKey in response") }
        var expiration: Date?
        if let text = leaves["Expiration"] {
            guard let date = parseAWSTimestamp(text) else { return .malformed("Expiration '\(text)' is not an ISO 8601 time") }
            expiration = date
        }
        return .credentials(Credentials(accessKeyId: keyId, secretAccessKey: secret,
                                        sessionToken: leaves["SessionToken"], expiration: expiration))
    }
}

/// Collects the text of leaf elements by name; the few names STS uses are unique in its answers.
private final class LeafCollector: NSObject, XMLParserDelegate {
    var leaves: [String: String] = [:]
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !value.isEmpty, leaves[elementName] == nil { leaves[elementName] = value }
        text = ""
    }
}
