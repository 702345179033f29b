import Foundation
@testable import ObjectStore
import Testing

struct UncachedFileWriterTests {
    static let block = UncachedFileWriter.alignment
    static let staging = UncachedFileWriter.stagingSize

    /// Sizes around the block and staging boundaries, written in pieces that straddle them.
    static let cases: [(size: Int, piece: Int)] = [
        (0, 1), (1, 1), (block - 1, 1000), (block, block), (block + 1, 3),
        (staging - 1, 65_537), (staging, staging), (staging + 1, staging + 1), (3 * staging + 123, 1_000_003)
    ]

    @Test(arguments: [true, false])
    func writesExactlyTheBytesGivenAtEverySizeAndPiece(_ uncached: Bool) throws {
        let directory = NSTemporaryDirectory() + "ktape-uncached-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fs = FileSystem(location: "file://" + directory, operation: "test", key: nil)
        for (n, (size, piece)) in Self.cases.enumerated() {
            let bytes = TestBytes.make(size, seed: UInt64(n + 1))
            let path = directory + "/f\(n)"
            let file = try UncachedFileWriter(creating: path, fs: fs, uncached: uncached)
            if !uncached { #expect(!file.isUncached) }
            var offset = 0
            while offset < size {
                let end = min(size, offset + piece)
                try bytes[offset..<end].withUnsafeBytes { try file.write($0) }
                offset = end
            }
            try file.finish()
            close(file.fd)
            #expect(FileManager.default.contents(atPath: path) == Data(bytes), "size \(size), pieces of \(piece)")
        }
    }

    @Test func refusesToReplaceAnExistingFile() throws {
        let path = NSTemporaryDirectory() + "ktape-uncached-" + UUID().uuidString
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1])))
        defer { unlink(path) }
        let fs = FileSystem(location: "file:///", operation: "test", key: nil)
        #expect(throws: StoreError.self) { _ = try UncachedFileWriter(creating: path, fs: fs) }
        #expect(FileManager.default.contents(atPath: path) == Data([1]))
    }
}
