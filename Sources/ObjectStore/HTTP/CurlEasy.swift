import CCurl
import Foundation

/// One libcurl easy handle, owned here and cleaned up in deinit. Used by one worker thread at a
/// time; reusing it keeps the connection to the server alive between requests.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let settings: CurlTransport.Settings

    init(settings: CurlTransport.Settings) {
        handle = CurlEasy.globalInit == CURLE_OK ? curl_easy_init() : nil
        self.settings = settings
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// curl_global_init is not thread-safe: run it once, before the first handle. No handle is made
    /// when it fails.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Performs `request` and returns the response whatever its status.
    func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        let url = Self.redacted(request.url)
        guard let handle else { throw HTTPTransportError(url: url, reason: "libcurl could not create a handle") }
        // Reset drops the last request's options but keeps its connections.
        curl_easy_reset(handle)
        let exchange = Exchange(body: request.body, expectsBody: request.method != "HEAD")
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        // No `Expect: 100-continue` round trip before each upload.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            // On failure curl_slist_append returns nil and leaves the list as it was (freed by the defer).
            guard let longer = curl_slist_append(headerList, line) else {
                throw HTTPTransportError(url: url, reason: "libcurl could not add a header (out of memory)")
            }
            headerList = longer
        }

        /// A refused option ends the request: sent without it, it would not be the request meant.
        func set(_ code: CURLcode, _ option: String) throws {
            guard code == CURLE_OK else {
                throw HTTPTransportError(url: url, reason: "libcurl refused \(option): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        errorBuffer[0] = 0
        try set(ktape_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(ktape_curl_setopt_ptr(handle, CURLOPT_URL, request.url), "CURLOPT_URL")
        try set(ktape_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
        try set(ktape_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
        try set(ktape_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1), "CURLOPT_TCP_KEEPALIVE")
        try set(ktape_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout * 1000)), "CURLOPT_CONNECTTIMEOUT_MS")
        // A transfer that moves nothing for this long is dead, however large the object.
        try set(ktape_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1), "CURLOPT_LOW_SPEED_LIMIT")
        try set(ktape_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, Int(settings.stallTimeout)), "CURLOPT_LOW_SPEED_TIME")
        if let timeout = request.timeout {
            try set(ktape_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000)), "CURLOPT_TIMEOUT_MS")
        }
        if let caBundle = settings.caBundle { try set(ktape_curl_setopt_ptr(handle, CURLOPT_CAINFO, caBundle), "CURLOPT_CAINFO") }

        // The callbacks get `exchange` unretained: it outlives curl_easy_perform (withExtendedLifetime below).
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        try set(ktape_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context), "CURLOPT_WRITEDATA")
        try set(ktape_curl_setopt_write(handle, curlWrite), "CURLOPT_WRITEFUNCTION")
        try set(ktape_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context), "CURLOPT_HEADERDATA")
        try set(ktape_curl_setopt_header(handle, curlHeader), "CURLOPT_HEADERFUNCTION")

        switch request.method {
        case "GET":
            try set(ktape_curl_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        case "HEAD":
            try set(ktape_curl_setopt_long(handle, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY")
        case "DELETE" where request.body.isEmpty:
            try set(ktape_curl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, "DELETE"), "CURLOPT_CUSTOMREQUEST")
        default:
            // PUT and POST send their body through the read callback, without a copy.
            try set(ktape_curl_setopt_long(handle, CURLOPT_UPLOAD, 1), "CURLOPT_UPLOAD")
            try set(ktape_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)), "CURLOPT_INFILESIZE_LARGE")
            try set(ktape_curl_setopt_ptr(handle, CURLOPT_READDATA, context), "CURLOPT_READDATA")
            try set(ktape_curl_setopt_read(handle, curlRead), "CURLOPT_READFUNCTION")
            if request.method != "PUT" {
                try set(ktape_curl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, request.method), "CURLOPT_CUSTOMREQUEST")
            }
        }

        let code = withExtendedLifetime(exchange) {
            exchange.body.withUnsafeBytes { body -> CURLcode in
                exchange.bodyPointer = body
                defer { exchange.bodyPointer = nil }
                return curl_easy_perform(handle)
            }
        }
        guard code == CURLE_OK else {
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            var error = HTTPTransportError(url: url, reason: detail)
            if code == CURLE_COULDNT_CONNECT && Self.outOfDescriptors() { error.systemError = EMFILE }
            throw error
        }
        var status = 0
        try set(ktape_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        return HTTPResponse(status: status, headers: exchange.headers, body: exchange.received)
    }

    static func redacted(_ url: String) -> String { URLRedaction.redacted(url) }

    /// Whether this process may open no more descriptors: libcurl reports a socket refused for the
    /// open-files limit as "Couldn't connect" without the errno (7.88's CURLINFO_OS_ERRNO says 0).
    static func outOfDescriptors() -> Bool {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard probe < 0 else {
            close(probe)
            return false
        }
        return errno == EMFILE
    }
}

/// What the C callbacks read from and write to during one perform.
private final class Exchange {
    let body: [UInt8]
    var bodyPointer: UnsafeRawBufferPointer?
    var sent = 0
    var received: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    /// False for HEAD, whose Content-Length describes a body that never comes.
    let expectsBody: Bool

    init(body: [UInt8], expectsBody: Bool) {
        self.body = body
        self.expectsBody = expectsBody
    }
}

private func curlWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: length) {
        exchange.received.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

private func curlRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    guard let body = exchange.bodyPointer, let base = body.baseAddress else { return 0 }
    let length = min(size * count, body.count - exchange.sent)
    if length > 0 {
        UnsafeMutableRawPointer(buffer).copyMemory(from: base + exchange.sent, byteCount: length)
        exchange.sent += length
    }
    return length
}

private func curlHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        // A new status line (after 100 Continue or a redirect) starts a new header block.
        exchange.headers.removeAll()
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        exchange.headers.append((name, value))
        // Size the body buffer once instead of growing it by doubling (bounded, in case of a lie).
        if exchange.expectsBody, name == "content-length", let expected = Int(value), expected > 0, expected <= 1 << 30 {
            exchange.received.reserveCapacity(expected)
        }
    }
    return length
}
