import Checksums
import Foundation
import SigV4

/// The two STS calls of the chain, as form POSTs: `AssumeRoleWithWebIdentity` (unsigned; the token
/// is the proof) and `AssumeRole` (signed with the source credentials). Each is tried twice: STS and
/// identity providers have brief outages (`IDPCommunicationError`, 5xx, dropped connections), and
/// one failed refresh should not fail a backup. Refusals (`AccessDenied`, `InvalidIdentityToken`)
/// are reported at once.
struct STSClient: Sendable {
    let endpoint: String
    let signingRegion: String
    let transport: HTTPTransport

    /// `source` names the call in errors, e.g. "STS AssumeRole for arn:... (profile 'x')".
    func credentials(form: [(String, String)], signedWith signing: Credentials?, source: String) async throws -> Credentials {
        do {
            return try await once(form: form, signing: signing, source: source)
        } catch is Transient {
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        do {
            return try await once(form: form, signing: signing, source: source)
        } catch let transient as Transient {
            throw transient.error
        }
    }

    /// Wraps an error worth one more try.
    private struct Transient: Error { let error: CredentialsError }

    private func once(form: [(String, String)], signing: Credentials?, source: String) async throws -> Credentials {
        let body = Array(form.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&").utf8)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Accept", "application/xml")
        ]
        if let signing {
            guard let parts = URLComponents(string: endpoint), let host = parts.host else {
                throw CredentialsError.endpointFailed(source: source, url: endpoint, reason: "not an absolute URL")
            }
            let hostHeader = parts.port.map { "\(host):\($0)" } ?? host
            let signer = Signer(credentials: signing, region: signingRegion, service: "sts")
            let path = parts.path.isEmpty ? "/" : parts.path
            headers = signer.signedHeaders(
                SignableRequest(
                    method: "POST", host: hostHeader, path: path, headers: headers,
                    payloadHash: Digest.hex(Digest.sha256(body))), date: Date()
            )
            .filter { $0.name != "host" }  // curl sets Host from the URL
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "POST", url: endpoint, headers: headers, body: body, timeout: 10))
        } catch {
            throw Transient(error: .endpointFailed(source: source, url: endpoint, reason: "\(error)"))
        }
        switch STSResponseParser.parse(response.body) {
        case .credentials(let credentials) where response.status == 200:
            return credentials
        case .stsError(let code, let message):
            let error = CredentialsError.badResponse(
                source: source, url: endpoint,
                reason: "HTTP \(response.status) \(code)\(message.isEmpty ? "" : ": \(message)")")
            if code == "IDPCommunicationError" || response.status >= 500 { throw Transient(error: error) }
            throw error
        case .malformed(let reason) where response.status == 200:
            throw CredentialsError.badResponse(source: source, url: endpoint, reason: reason)
        default:
            let error = CredentialsError.badResponse(source: source, url: endpoint, reason: "HTTP \(response.status)")
            if response.status >= 500 { throw Transient(error: error) }
            throw error
        }
    }
}
