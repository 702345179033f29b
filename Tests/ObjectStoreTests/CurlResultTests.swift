import ObjectStore
import Testing

/// libcurl's answer to every option is checked: an option it refuses ends the request with the
/// option's name, instead of a request sent without it.
@Suite struct CurlResultTests {
    @Test func aURLLibcurlRefusesIsNamed() async throws {
        let transport = CurlTransport(settings: .init(connections: 1))
        // libcurl takes no string option longer than 8,000,000 bytes (CURL_MAX_INPUT_LENGTH).
        let url = "http://127.0.0.1:9/" + String(repeating: "a", count: 8_000_001)
        let error = await #expect(throws: HTTPTransportError.self) { try await transport.send(HTTPRequest(method: "GET", url: url)) }
        #expect(error?.reason == "libcurl refused CURLOPT_URL: A libcurl function was given a bad argument")
    }
}
