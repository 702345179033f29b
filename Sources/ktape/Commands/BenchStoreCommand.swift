import ArgumentParser
import Checksums
import Failures
import Foundation
import Layout
import ObjectStore
import JobSpec

/// Hidden: the object-store half of scripts/bench. Uploads a file through `StreamingUpload`
/// (multipart, parts in flight) and reads it back with ranged chunks, printing one result line
/// that scripts/bench sets beside `aws s3 cp` of the same file on the same server.
struct BenchStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-store",
        abstract: "Measure upload and download throughput of a store (used by scripts/bench).",
        shouldDisplay: false
    )

    @Option(help: "Store to write to, e.g. s3://bucket.") var store: String
    @Option(name: .customLong("endpoint-url"), help: "S3-compatible endpoint.") var endpointURL: String?
    @Option(help: "File to upload.") var file: String
    @Option(name: .customLong("part-size"), help: "Part size in bytes.") var partSize: Int = 16 << 20
    @Option(help: "Parts in flight.") var concurrency: Int = 4

    func run() async throws {
        var document = JobDocument()
        document.flag(.store, store)
        document.flag(.endpointURL, endpointURL)
        let common = try await EffectiveJob.load(command: .verify, jobPath: nil, flags: document).common
        let opened = try StoreOpening.open(common, creating: true)
        guard let input = FileHandle(forReadingAtPath: file) else { throw RunFailure.invalidInput("bench-store: cannot read \(file)") }
        let key = opened.layout.metadataFolder + "bench/object"

        let uploadStart = Date()
        let upload = StreamingUpload(store: opened.store, key: key, partSize: partSize, concurrency: concurrency)
        do {
            while let data = try input.read(upToCount: 8 << 20), !data.isEmpty {
                try await upload.write(data)
            }
        } catch {
            await upload.abort()
            throw error
        }
        let summary = try await upload.finish()
        let uploadSeconds = Date().timeIntervalSince(uploadStart)

        let downloadStart = Date()
        var crc = CRC64NVME()
        var downloaded: Int64 = 0
        for try await chunk in try await opened.store.chunks(key, chunkSize: partSize) {
            crc.update(chunk)
            downloaded += Int64(chunk.count)
        }
        let downloadSeconds = Date().timeIntervalSince(downloadStart)
        try await opened.store.delete(key)
        guard downloaded == summary.size, crc == summary.crc64nvme else {
            throw RunFailure.failure("bench-store: the object read back differs from the one written")
        }
        print(
            String(
                format: "bytes=%lld upload_seconds=%.3f download_seconds=%.3f peak_rss_kib=%d",
                summary.size, uploadSeconds, downloadSeconds, ProcessMemory.peakResidentKiB()))
    }
}

enum ProcessMemory {
    /// VmHWM from /proc/self/status: the peak resident set of this process.
    static func peakResidentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
