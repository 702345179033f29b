import Foundation
import Spawn
import KtapeTestSupport
import ObjectStore
import SigV4
import Testing
import Layout

/// Through `scripts/fault-proxy` (SlowDown answers, dropped and truncated connections).
struct FaultProxyTests {
    static func proxy(to endpoint: String, rate: Double, seed: Int) async throws -> (url: String, process: ChildProcess) {
        let script = S3TestServer.repositoryRoot().appendingPathComponent("scripts/fault-proxy")
        let started = try await ScriptRunner.startAndReadExports(
            script: script, arguments: ["--upstream", endpoint, "--rate", String(rate), "--seed", String(seed)])
        guard let url = started.exports["FAULT_PROXY_URL"] else { throw TestSetupError("fault-proxy printed no URL") }
        return (url, started.process)
    }

    @Test func uploadsAndDownloadsSurviveFaults() async throws {
        let server = try await S3TestServer.shared.value
        let seed = Int(ProcessInfo.processInfo.environment["KTAPE_FAULT_SEED"] ?? "") ?? 7
        let (url, process) = try await Self.proxy(to: server.endpoint, rate: 0.3, seed: seed)
        defer { process.terminate() }
        let store = try await server.freshStore(endpoint: url, maxAttempts: 12, baseRetryDelay: 0.01)
        let body = TestBytes.make(3 * MultipartLimits.minPartSize + 777, seed: 11)
        let upload = StreamingUpload(store: store, key: "faults/big", partSize: MultipartLimits.minPartSize, concurrency: 3)
        try await upload.write(body)
        let summary = try await upload.finish()
        #expect(summary.parts == 4)
        var back: [UInt8] = []
        for try await chunk in try await store.chunks("faults/big", chunkSize: 2 * 1024 * 1024) { back += chunk }
        #expect(back == body)
        for index in 0..<20 { try await store.put("faults/small-\(index)", body: TestBytes.make(100, seed: UInt64(index))) }
        #expect(try await store.listAll(prefix: "faults/").count == 21)
        #expect(try await store.get("faults/small-3") == TestBytes.make(100, seed: 3))
        let stats = try await S3TestServer.transport.send(HTTPRequest(method: "GET", url: url + "/__fault-proxy/stats"))
        let counts = try JSONDecoder().decode([String: Int].self, from: Data(stats.body))
        #expect((counts["slowdown"] ?? 0) + (counts["drop"] ?? 0) + (counts["truncate"] ?? 0) > 0)
        #expect((counts["forwarded"] ?? 0) > 0)
    }

    @Test func allFaultsMakeTheClientGiveUpClearly() async throws {
        let server = try await S3TestServer.shared.value
        let (url, process) = try await Self.proxy(to: server.endpoint, rate: 1.0, seed: 3)
        defer { process.terminate() }
        let store = try await server.freshStore(endpoint: url, maxAttempts: 4, baseRetryDelay: 0.01)
        do {
            try await store.put("doomed", body: [1, 2, 3])
            Issue.record("a put through a proxy that fails everything succeeded")
        } catch let error as StoreError {
            #expect(error.kind == .gaveUp(attempts: 4))
            #expect(!error.isPermanent)
            #expect(error.description.contains("gave up after 4 attempts"))
            #expect(error.description.contains("/doomed"))
            #expect(!error.description.contains(server.credentials.secretAccessKey))
        }
    }
}
