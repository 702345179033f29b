import Checksums
import Foundation
import KtapeTestSupport
import ObjectStore
import SigV4
import Testing
import Layout

struct StreamingUploadTests {
    /// A memory store whose part uploads fail from a given part number on.
    // @unchecked Sendable: its mutable state is under `lock`.
    final class Gauge: @unchecked Sendable {
        let lock = NSLock()
        var current = 0
        var peak = 0
        func enter() {
            lock.withLock {
                current += 1
                peak = max(peak, current)
            }
        }
        func leave() { lock.withLock { current -= 1 } }
    }

    struct FailingParts: ForwardingStore {
        let base: MemoryStore
        let failFrom: Int
        var gauge = Gauge()
        var forwardee: any ObjectStore { base }
        func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
            if partNumber >= failFrom {
                throw StoreError(.transient, operation: "upload part", location: location, key: key, message: "injected")
            }
            gauge.enter()
            defer { gauge.leave() }
            try await Task.sleep(nanoseconds: 5_000_000)
            return try await base.uploadPart(key, uploadId: uploadId, partNumber: partNumber, body: body)
        }
    }

    /// `gather` + `shipFullParts` (the backup's path): whole parts of exactly the part size while
    /// writing, the overhang kept, an object of at most one part sent as a single PUT.
    @Test(arguments: [
        (total: 5017, partSize: 1000, parts: 6), (total: 3000, partSize: 1000, parts: 3),
        (total: 5000, partSize: 5000, parts: 0), (total: 999, partSize: 1000, parts: 0),
        (total: 2001, partSize: 1000, parts: 3)
    ])
    func gatheredBytesShipAsWholeParts(_ shape: (total: Int, partSize: Int, parts: Int)) async throws {
        let memory = MemoryStore(minPartSize: 10)
        let upload = StreamingUpload(store: memory, key: "gathered", partSize: shape.partSize, concurrency: 2)
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<shape.total).map { _ in UInt8.random(in: 0...255, using: &random) }
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int.random(in: 1...300, using: &random))
            let full = try bytes[offset..<offset + n].withUnsafeBytes { try upload.gather($0) }
            // Shipping leaves 1...partSize bytes gathered, so whole parts of all but those went before.
            let shipped = offset == 0 ? 0 : (offset - 1) / shape.partSize * shape.partSize
            #expect(full == (offset + n - shipped > shape.partSize))
            if full { try await upload.shipFullParts() }
            offset += n
        }
        let summary = try await upload.finish()
        #expect(summary.parts == shape.parts)
        #expect(summary.size == Int64(shape.total))
        #expect(try await memory.get("gathered", range: nil) == bytes)
        #expect(summary.crc64nvme == CRC64NVME.checksum(bytes))
    }

    /// A size hint only changes how the part buffer grows: too small, exact, too large or beyond a
    /// part, the object is the same, as a single PUT or in parts.
    @Test(arguments: [0, 1000, 300_000, 400_000, 5_000_000])
    func sizeHintsLeaveTheObjectUnchanged(_ hint: Int) async throws {
        for (total, partSize) in [(300_000, 1 << 20), (700_000, 256 * 1024)] {
            let memory = MemoryStore(minPartSize: 10)
            let upload = StreamingUpload(store: memory, key: "hinted", partSize: partSize, concurrency: 2)
            upload.sizeHint = hint
            let bytes = TestBytes.make(total, seed: UInt64(hint + total))
            var offset = 0
            while offset < total {
                let n = min(total - offset, 1000)
                if try bytes[offset..<offset + n].withUnsafeBytes({ try upload.gather($0) }) { try await upload.shipFullParts() }
                offset += n
            }
            let summary = try await upload.finish()
            #expect(summary.parts == (total > partSize ? (total + partSize - 1) / partSize : 0))
            #expect(try await memory.get("hinted", range: nil) == bytes)
            #expect(summary.crc64nvme == CRC64NVME.checksum(bytes))
        }
    }

    @Test func aFailedPartAbortsTheUpload() async throws {
        let base = MemoryStore(minPartSize: 10)
        let upload = StreamingUpload(store: FailingParts(base: base, failFrom: 3), key: "k", partSize: 10, concurrency: 2)
        await #expect(throws: StoreError.self) {
            for _ in 0..<10 { try await upload.write(TestBytes.make(10)) }
            _ = try await upload.finish()
        }
        #expect(try await base.listMultipartUploads(prefix: "").isEmpty)
        #expect(base.keys.isEmpty)
        await #expect(throws: StoreError.self) { try await upload.write([1]) }
    }

    @Test func moreThanTenThousandPartsIsRefusedAndAborted() async throws {
        let base = MemoryStore(minPartSize: 1)
        let upload = StreamingUpload(store: base, key: "k", partSize: 1, concurrency: 8)
        do {
            try await upload.write(TestBytes.make(MultipartLimits.maxParts + 1))
            _ = try await upload.finish()
            Issue.record("10,001 parts were accepted")
        } catch let error as StoreError {
            #expect(error.description.contains("more than 10000 parts"))
        }
        #expect(try await base.listMultipartUploads(prefix: "").isEmpty)
    }

    @Test func partsInFlightStayWithinTheBound() async throws {
        let base = MemoryStore(minPartSize: 100)
        let store = FailingParts(base: base, failFrom: .max)
        let upload = StreamingUpload(store: store, key: "k", partSize: 100, concurrency: 3)
        let body = TestBytes.make(1_050)
        try await upload.write(body)
        let summary = try await upload.finish()
        #expect(summary.parts == 11)
        #expect(store.gauge.peak <= 3)
        #expect(store.gauge.peak >= 2)
        #expect(summary.crc64nvme == CRC64NVME.checksum(body))
        #expect(try await base.get("k") == body)
    }
}
