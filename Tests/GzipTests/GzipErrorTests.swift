import KtapeTestSupport
import Testing
@testable import Gzip

@Suite struct GzipErrorTests {
    @Test func everyTruncationIsReported() throws {
        var gen = SplitMix64(state: 7)
        let compressed = try gzip(gen.bytes(5_000), chunk: 5_000)
        for cut in [0, 1, 9, 10, 11, compressed.count / 2, compressed.count - 8, compressed.count - 1] {
            #expect(throws: GzipError.self, "cut at \(cut)") { _ = try gunzip(Array(compressed.prefix(cut)), chunk: 64) }
        }
        let decompressor = try GzipDecompressor()
        var out: [UInt8] = []
        try decompressor.decompress(Array(compressed.prefix(compressed.count - 3)), into: &out)
        #expect(throws: GzipError.truncated(afterBytes: compressed.count - 3)) { try decompressor.finish() }
    }

    @Test func compressorRefusesUseAfterFinish() throws {
        let compressor = try GzipCompressor()
        var out: [UInt8] = []
        try compressor.finish(into: &out)
        #expect(try gunzip(out, chunk: 64).isEmpty)
        #expect(throws: GzipError.alreadyFinished) { try compressor.compress([1], into: &out) }
        #expect(throws: GzipError.alreadyFinished) { try compressor.finish(into: &out) }
    }

    @Test func emptyInputIsTruncatedNotEmptyData() throws {
        let decompressor = try GzipDecompressor()
        #expect(throws: GzipError.truncated(afterBytes: 0)) { try decompressor.finish() }
    }

    @Test func badCRCIsCorruption() throws {
        var compressed = try gzip(Array(repeating: 0x61, count: 1_000), chunk: 1_000)
        compressed[compressed.count - 6] ^= 0x01
        let error = #expect(throws: GzipError.self) { _ = try gunzip(compressed, chunk: 1 << 20) }
        guard case .corrupt(_, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("check"))
        #expect(error?.description.hasPrefix("gzip data is corrupt") == true)
    }

    @Test func notGzipIsCorruption() throws {
        let error = #expect(throws: GzipError.self) { _ = try gunzip(Array("{\"ktape\":1}\n".utf8), chunk: 64) }
        if case .corrupt? = error {} else { Issue.record("expected .corrupt, got \(String(describing: error))") }
    }

    @Test func garbageAfterAMemberIsCorruption() throws {
        let member = try gzip(Array("abc".utf8), chunk: 3)
        #expect(throws: GzipError.self) { _ = try gunzip(member + [0x00, 0x01, 0x02], chunk: 64) }
    }
}
