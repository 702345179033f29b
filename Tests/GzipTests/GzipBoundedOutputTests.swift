import Foundation
import Testing
@testable import Gzip

/// `decompress(_:into:limit:)` inflates a highly repetitive chunk a step at a time.
struct GzipBoundedOutputTests {
    /// 64 MiB of one byte compresses to about 64 KiB: nearly deflate's largest ratio.
    static let plain = [UInt8](repeating: 0x0A, count: 64 << 20)

    @Test(arguments: [0, 1 << 20, 8 << 20])
    func eachCallStaysWithinTheLimitAndTogetherTheyGiveEverything(_ limit: Int) throws {
        let compressed = try gzip(Self.plain, chunk: 1 << 20)
        #expect(compressed.count < 100_000)
        let gunzip = try GzipDecompressor()
        var total = 0
        var used = 0
        var calls = 0
        var out: [UInt8] = []
        while used < compressed.count {
            out.removeAll(keepingCapacity: true)
            used += try compressed[used...].withUnsafeBytes { try gunzip.decompress($0, into: &out, limit: limit) }
            calls += 1
            // A call stops after the slice that reaches the limit: one 16 KiB slice inflates to 16.5 MiB at most.
            #expect(out.count <= limit + 16 * 1024 * 1032)
            #expect(out.allSatisfy { $0 == 0x0A })
            total += out.count
        }
        try gunzip.finish()
        #expect(total == Self.plain.count)
        #expect(calls >= Self.plain.count / (limit + 16 * 1024 * 1032))
        if limit == 0 { #expect(calls == (compressed.count + 16 * 1024 - 1) / (16 * 1024)) }  // one slice a call
    }
}
