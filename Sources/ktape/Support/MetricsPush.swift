import Failures
import Foundation
import ObjectStore

/// `--metrics-push-url`: a run's metrics sent to a Prometheus Pushgateway, the convention for batch
/// jobs, whose last push Prometheus then scrapes. The group is the run's labels (`job` for ktape's
/// job name, then command, store and shard), so the backup and the verify of one store, or two
/// shards, never replace each other's metrics. Values go base64url-encoded (`label@base64/…`), as a
/// store URL holds slashes.
struct MetricsPush {
    let baseURL: String
    /// Grouping labels in path order; `job` first.
    let grouping: [(String, String)]

    init(url: String, labels: [(String, String)]) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        // The Pushgateway's path starts with the job.
        let job = labels.filter { $0.0 == RunMetrics.jobLabel }.map { ("job", $0.1) }
        grouping = job + labels.filter { $0.0 != RunMetrics.jobLabel }
    }

    var groupURL: String {
        baseURL + "/metrics" + grouping.map { "/\($0.0)@base64/\(Self.base64URL($0.1))" }.joined()
    }

    /// `replace`: PUT, the group becomes exactly this text. Otherwise POST, which replaces only the
    /// metrics named in the text and keeps the rest of the group (a failed run keeps the last success).
    func send(_ metrics: MetricsFile, replace: Bool, transport: any HTTPTransport = CurlTransport(settings: .init(connections: 1)))
        async throws
    {
        let body = metrics.text(omitting: Set(metrics.labels.map(\.0)))
        let request = HTTPRequest(
            method: replace ? "PUT" : "POST", url: groupURL,
            headers: [("content-type", "text/plain; version=0.0.4")], body: Array(body.utf8), timeout: 10)
        let response: HTTPResponse
        do { response = try await transport.send(request) } catch {
            throw RunFailure.failure("metrics-push-url \(URLRedaction.redacted(baseURL)): \(error)")
        }
        guard (200..<300).contains(response.status) else {
            let answer = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RunFailure.failure(
                "metrics-push-url \(URLRedaction.redacted(baseURL)): the Pushgateway answered HTTP \(response.status)"
                    + (answer.isEmpty ? "" : ": \(answer)") + (response.status == 404 ? notFoundAdvice : ""))
        }
    }

    /// A Pushgateway answers 404 to any path outside `<route prefix>/metrics/job/...`: most often a
    /// URL copied with the `/metrics` its scrape address ends in.
    var notFoundAdvice: String {
        let path = baseURL.split(separator: "://", maxSplits: 1).last?.split(separator: "/").dropFirst() ?? []
        if path.last == "metrics" {
            return " (give the Pushgateway's base URL without the /metrics: ktape adds /metrics/job/... itself)"
        }
        return " (is this the Pushgateway's base URL, with its --web.route-prefix if it has one?)"
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}
