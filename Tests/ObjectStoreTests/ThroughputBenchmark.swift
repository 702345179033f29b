import Foundation
import ObjectStore
import SigV4
import Testing

/// Multipart upload and streamed download throughput through ObjectStore against moto, next to
/// `aws s3 cp` of the same file on the same server. Runs only with KTAPE_BENCH=1 (see scripts/bench);
/// KTAPE_BENCH_FILE names the file (else KTAPE_BENCH_MB of random bytes, default 1024, are made).
struct ThroughputBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["KTAPE_BENCH"] == "1", "set KTAPE_BENCH=1 (scripts/bench) to measure throughput"))
    func objectStoreAgainstAwsCli() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let file = try Self.benchFile()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        let partSize = 16 * 1024 * 1024

        let uploadStart = Date()
        let upload = StreamingUpload(store: store, key: "bench/object", partSize: partSize, concurrency: 4)
        let handle = try #require(FileHandle(forReadingAtPath: file))
        while let data = try handle.read(upToCount: 8 * 1024 * 1024), !data.isEmpty {
            try await upload.write([UInt8](data))
        }
        try handle.close()
        let summary = try await upload.finish()
        let uploadSeconds = Date().timeIntervalSince(uploadStart)
        let peakAfterUpload = Self.peakResidentKilobytes()

        let downloadStart = Date()
        let hasher = SHA256Hasher()
        var downloaded = 0
        for try await chunk in try await store.chunks("bench/object", chunkSize: partSize) {
            hasher.update(chunk)
            downloaded += chunk.count
        }
        let downloadSeconds = Date().timeIntervalSince(downloadStart)
        #expect(downloaded == size)
        #expect(hasher.finish() == summary.sha256)

        let bucket = String(store.location.dropFirst("s3://".count))
        let cliUpload = try Self.timeAwsCli(server, ["s3", "cp", "--quiet", file, "s3://\(bucket)/bench/cli-object"])
        let cliDownload = try Self.timeAwsCli(server, ["s3", "cp", "--quiet", "s3://\(bucket)/bench/cli-object", "/dev/null"])

        let megabytes = Double(size) / 1_000_000
        func rate(_ seconds: Double) -> String { String(format: "%.1f MB/s", megabytes / seconds) }
        print("bench: \(size) bytes, parts of \(partSize) bytes, 4 in flight")
        print("bench: upload   ktape \(rate(uploadSeconds))  aws-cli \(rate(cliUpload))  ratio \(String(format: "%.2f", cliUpload / uploadSeconds))")
        print("bench: download ktape \(rate(downloadSeconds))  aws-cli \(rate(cliDownload))  ratio \(String(format: "%.2f", cliDownload / downloadSeconds))")
        print("bench: peak RSS of the ktape side \(peakAfterUpload / 1024) MiB after the upload, \(Self.peakResidentKilobytes() / 1024) MiB in all")
        #expect(uploadSeconds > 0 && downloadSeconds > 0)
    }

    static func benchFile() throws -> String {
        if let file = environment["KTAPE_BENCH_FILE"], FileManager.default.fileExists(atPath: file) { return file }
        let megabytes = Int(environment["KTAPE_BENCH_MB"] ?? "") ?? 1024
        let path = NSTemporaryDirectory() + "ktape-bench-\(megabytes)MB.bin"
        if (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == megabytes * 1024 * 1024 { return path }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        for index in 0..<megabytes { try handle.write(contentsOf: Data(TestBytes.make(1024 * 1024, seed: UInt64(index + 1)))) }
        try handle.close()
        return path
    }

    static func timeAwsCli(_ server: S3TestServer, _ arguments: [String]) throws -> Double {
        let process = Process()
        let venvCli = S3TestServer.repositoryRoot().appendingPathComponent(".venv/bin/aws").path
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: venvCli) ? venvCli : "/usr/bin/aws")
        process.arguments = ["--endpoint-url", server.endpoint] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = server.credentials.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = server.credentials.secretAccessKey
        environment["AWS_REGION"] = "us-east-1"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        process.environment = environment
        let start = Date()
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSetupError("aws \(arguments.joined(separator: " ")) failed") }
        return Date().timeIntervalSince(start)
    }

    /// VmHWM from /proc/self/status.
    static func peakResidentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
